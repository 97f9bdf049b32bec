import type { NextConfig } from "next";

const config: NextConfig = {
  transpilePackages: ["@kubeserve/ui"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
