/** The CLI's own errors, light on purpose: main's error boundary checks them before any command module is loaded. */

/** Bad input to the CLI itself (exit 2). `command` names the command when the input was one of its options. */
export class UsageError extends Error {
  readonly command: string | null;

  constructor(message: string, command: string | null = null) {
    super(message);
    this.command = command;
  }
}

/** Bad input found by a command's own code, before anything was touched (exit 2, as a usage error). */
export class InvalidInput extends Error {}
