import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The server reads the host's sysfs at request time; nothing about the host belongs in the build.
  poweredByHeader: false,
  reactStrictMode: true,
  // proxy.ts sets the full set (with the CSP nonce) on pages and API routes; static files get these.
  headers() {
    return Promise.resolve([
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Referrer-Policy", value: "no-referrer" },
        ],
      },
    ]);
  },
};

export default nextConfig;
