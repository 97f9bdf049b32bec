-- CreateTable
CREATE TABLE "user_quotas" (
    "user_id" UUID NOT NULL,
    "max_deployments" INTEGER,
    "max_replicas" INTEGER,
    "max_cpu" TEXT,
    "max_memory" TEXT,
    "updated_by" UUID NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "user_quotas_pkey" PRIMARY KEY ("user_id")
);

-- AddForeignKey
ALTER TABLE "user_quotas" ADD CONSTRAINT "user_quotas_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
