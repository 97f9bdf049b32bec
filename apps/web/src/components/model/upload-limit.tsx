"use client";

import { createContext, type ReactNode, useContext } from "react";

// The API's UPLOAD_MAX_BYTES (read by the page's server from the API's tus OPTIONS), for the dropzone.
const UploadLimitContext = createContext<number | undefined>(undefined);

export function UploadLimitProvider({
  maxBytes,
  children,
}: {
  maxBytes: number | undefined;
  children: ReactNode;
}) {
  return <UploadLimitContext value={maxBytes}>{children}</UploadLimitContext>;
}

export function useUploadLimit(): number | undefined {
  return useContext(UploadLimitContext);
}
