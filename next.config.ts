import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The server reads the host's sysfs at request time; nothing about the host belongs in the build.
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
