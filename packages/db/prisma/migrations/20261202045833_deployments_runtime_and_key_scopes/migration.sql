-- CreateEnum
CREATE TYPE "DeploymentDesiredState" AS ENUM ('running', 'stopped');

-- CreateEnum
CREATE TYPE "ApiKeyKind" AS ENUM ('management', 'predict');

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "deployment_ids" UUID[] DEFAULT ARRAY[]::UUID[],
ADD COLUMN     "kind" "ApiKeyKind" NOT NULL DEFAULT 'management';

-- AlterTable
ALTER TABLE "deployments" ADD COLUMN     "autoscaling" JSONB,
ADD COLUMN     "cold_start_ms" INTEGER,
ADD COLUMN     "desired_state" "DeploymentDesiredState" NOT NULL DEFAULT 'running',
ADD COLUMN     "generation" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "is_public" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "resources" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "runtime_options" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "started_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "api_keys_revoked_at_idx" ON "api_keys"("revoked_at");

-- Key changes reach every API replica's verified-key cache at once (the gateway LISTENs on this channel).
CREATE FUNCTION "notify_api_key_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kubeserve_api_keys', OLD.id::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER "api_keys_notify_change"
  AFTER UPDATE OF "revoked_at", "expires_at", "kind", "deployment_ids" OR DELETE ON "api_keys"
  FOR EACH ROW EXECUTE FUNCTION "notify_api_key_change"();
