import { defineCommand } from "../command";

export const command = defineCommand({
  name: "helper",
  usage: `Usage: passdeck helper

The privileged helper (root): applies the web server's plans, re-validated, over PASSDECK_HELPER_SOCKET, owns the
host records, and runs the dead-man switch (PASSDECK_CONFIRM_WINDOW_S). Run by deploy/systemd/passdeck-helper.service
or by npm start as root; PASSDECK_WEB_USER or PASSDECK_HELPER_GROUP name who may open the socket.`,
  options: {},
  async run(services) {
    const [env, { runHelper }] = await Promise.all([services.env(), import("../helper-command")]);
    return runHelper(env);
  },
});
