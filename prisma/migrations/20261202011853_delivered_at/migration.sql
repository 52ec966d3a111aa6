-- AlterTable
ALTER TABLE "envelope_recipients" ADD COLUMN     "delivered_at" TIMESTAMPTZ(3);

-- Until now a recipient's first fetch was recorded as opened_at. A fetch is a delivery, and an open is
-- now what the recipient's app confirms after decrypting (POST /envelopes/:id/opened).
UPDATE "envelope_recipients" SET "delivered_at" = "opened_at", "opened_at" = NULL WHERE "opened_at" IS NOT NULL;
