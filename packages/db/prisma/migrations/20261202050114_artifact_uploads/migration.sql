-- CreateEnum
CREATE TYPE "UploadKind" AS ENUM ('oneshot', 'tus');

-- AlterTable
ALTER TABLE "model_versions" ADD COLUMN     "requirements_sha256" TEXT,
ADD COLUMN     "requirements_uri" TEXT;

-- CreateTable
CREATE TABLE "artifact_uploads" (
    "id" TEXT NOT NULL,
    "version_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "kind" "UploadKind" NOT NULL,
    "filename" TEXT NOT NULL,
    "size" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "artifact_uploads_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "artifact_uploads_version_id_key" ON "artifact_uploads"("version_id");

-- CreateIndex
CREATE INDEX "artifact_uploads_expires_at_idx" ON "artifact_uploads"("expires_at");

-- CreateIndex
CREATE INDEX "artifact_uploads_user_id_idx" ON "artifact_uploads"("user_id");

-- AddForeignKey
ALTER TABLE "artifact_uploads" ADD CONSTRAINT "artifact_uploads_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artifact_uploads" ADD CONSTRAINT "artifact_uploads_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
