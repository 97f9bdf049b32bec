-- AlterTable
ALTER TABLE "login_attempts" ADD COLUMN     "device_id" UUID;

-- CreateTable
CREATE TABLE "registration_attempts" (
    "id" UUID NOT NULL,
    "ip" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "registration_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "registration_attempts_ip_created_at_idx" ON "registration_attempts"("ip", "created_at");

-- CreateIndex
CREATE INDEX "login_attempts_device_id_created_at_idx" ON "login_attempts"("device_id", "created_at");
