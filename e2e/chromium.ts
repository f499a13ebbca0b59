/**
 * Debian's Chromium, as every Playwright config here launches it: Playwright's own browser download cannot work on
 * these machines, and without the background-networking flags Chromium keeps dialling hosts the network refuses.
 */
export const debianChromium = {
  browserName: "chromium" as const,
  video: "off" as const,
  launchOptions: {
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  },
};
