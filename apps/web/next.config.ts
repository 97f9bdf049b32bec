import type { NextConfig } from "next";

const config: NextConfig = {
  transpilePackages: ["@kubeserve/ui", "@kubeserve/api"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
