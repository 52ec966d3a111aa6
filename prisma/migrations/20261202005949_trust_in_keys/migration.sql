-- Trust in keys: key history (key_events), every backup kept (key_backups), token versions,
-- the sender name and masked phone as they were when each letter was sent, sealed contact books.

-- AlterTable: letters keep the sender name and masked phone of the day they were sent, letters
-- sent before this migration take the current ones of their sender.
ALTER TABLE "envelopes" ADD COLUMN     "sender_name" TEXT,
ADD COLUMN     "sender_phone_masked" TEXT;
UPDATE "envelopes" e SET "sender_name" = coalesce(u."name", ''), "sender_phone_masked" = u."phone_masked"
FROM "users" u WHERE u."id" = e."sender_id";
ALTER TABLE "envelopes" ALTER COLUMN "sender_name" SET NOT NULL;

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "last_statement_at" TIMESTAMPTZ(3),
ADD COLUMN     "token_version" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "key_events" (
    "id" SERIAL NOT NULL,
    "user_id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "statement" JSONB,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "key_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "key_backups" (
    "id" SERIAL NOT NULL,
    "user_id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "backup" JSONB NOT NULL,
    "statement" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "key_backups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contact_books" (
    "user_id" TEXT NOT NULL,
    "blob" BYTEA NOT NULL,
    "counter" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "contact_books_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE INDEX "key_events_user_id_id_idx" ON "key_events"("user_id", "id");

-- CreateIndex
CREATE INDEX "key_backups_user_id_id_idx" ON "key_backups"("user_id", "id");

-- AddForeignKey
ALTER TABLE "key_events" ADD CONSTRAINT "key_events_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "key_events" ADD CONSTRAINT "key_events_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "user_keys"("key_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "key_backups" ADD CONSTRAINT "key_backups_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "key_backups" ADD CONSTRAINT "key_backups_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "user_keys"("key_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_books" ADD CONSTRAINT "contact_books_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Backfill: every existing key becomes one history event, in the order the keys were created. A
-- first key of a user is their registration, a later one was set without a statement, which is what
-- a reset is.
INSERT INTO "key_events" ("user_id", "key_id", "kind", "at")
SELECT "user_id", "key_id",
       CASE WHEN row_number() OVER (PARTITION BY "user_id" ORDER BY "created_at", "key_id") = 1
            THEN 'register' ELSE 'reset' END,
       "created_at"
FROM "user_keys"
ORDER BY "created_at", "key_id";

-- Backfill: the backup each key holds now is the first one kept.
INSERT INTO "key_backups" ("user_id", "key_id", "backup", "created_at")
SELECT "user_id", "key_id", "backup", "created_at" FROM "user_keys" ORDER BY "created_at", "key_id";
