-- AlterTable
ALTER TABLE "envelope_recipients" ADD COLUMN     "opens" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "removed_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "envelopes" ADD COLUMN     "burned_at" TIMESTAMPTZ(3),
ADD COLUMN     "max_opens" INTEGER,
ADD COLUMN     "sender_removed_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3);
