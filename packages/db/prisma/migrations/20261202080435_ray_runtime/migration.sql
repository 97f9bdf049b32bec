-- AlterEnum
ALTER TYPE "DeploymentRuntime" ADD VALUE 'ray';
