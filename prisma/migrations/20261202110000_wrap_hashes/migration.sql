-- AlterTable
ALTER TABLE "envelope_recipients" ADD COLUMN     "wrap_hash" TEXT;
