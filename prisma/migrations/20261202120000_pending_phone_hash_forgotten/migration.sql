-- A delivered entry of a purged letter keeps only its link to the copy it delivered: its phone hash goes
ALTER TABLE "pending_recipients" ALTER COLUMN "phone_hash" DROP NOT NULL;

-- Letters burned or removed by their sender before now kept their entries: forget them as the server now does
DELETE FROM "pending_recipients" p USING "envelopes" e
WHERE e."id" = p."envelope_id" AND e."purged_at" IS NOT NULL AND p."delivered_at" IS NULL;

UPDATE "pending_recipients" p SET "phone_hash" = NULL FROM "envelopes" e
WHERE e."id" = p."envelope_id" AND e."purged_at" IS NOT NULL AND p."phone_hash" IS NOT NULL;
