/** Standard input for `passdeck user add`: a pipe or a file as it is, a terminal without echo. */
export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return readPasswordFromTerminal();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) break;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Asks on the terminal without echoing what is typed. */
function readPasswordFromTerminal(): Promise<string> {
  process.stderr.write("Password: ");
  process.stdin.setRawMode(true);
  process.stdin.resume();
  return new Promise((resolve) => {
    let typed = "";
    const finish = (value: string) => {
      process.stdin.off("data", onData);
      process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stderr.write("\n");
      resolve(value);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish(typed);
        if (ch === "\u0003") return finish(""); // Ctrl-C: no password, so nothing is added
        typed = ch === "\u007f" ? typed.slice(0, -1) : typed + ch;
      }
    };
    process.stdin.on("data", onData);
  });
}
