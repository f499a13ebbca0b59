import { runCli } from "./main";

void runCli(process.argv.slice(2));
