-- CreateTable
CREATE TABLE "pending_recipients" (
    "id" TEXT NOT NULL,
    "envelope_id" TEXT NOT NULL,
    "sender_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "phone_hash" BYTEA NOT NULL,
    "phone_masked" TEXT NOT NULL,
    "recipient_id" TEXT,
    "ready_at" TIMESTAMPTZ(3),
    "delivered_envelope_id" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pending_recipients_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_grants" (
    "user_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "notification_grants_pkey" PRIMARY KEY ("user_id","kind")
);

-- CreateIndex
CREATE UNIQUE INDEX "pending_recipients_delivered_envelope_id_key" ON "pending_recipients"("delivered_envelope_id");

-- CreateIndex
CREATE INDEX "pending_recipients_phone_hash_idx" ON "pending_recipients"("phone_hash");

-- CreateIndex
CREATE INDEX "pending_recipients_sender_id_created_at_idx" ON "pending_recipients"("sender_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "pending_recipients_envelope_id_phone_hash_key" ON "pending_recipients"("envelope_id", "phone_hash");

-- AddForeignKey
ALTER TABLE "pending_recipients" ADD CONSTRAINT "pending_recipients_envelope_id_fkey" FOREIGN KEY ("envelope_id") REFERENCES "envelopes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pending_recipients" ADD CONSTRAINT "pending_recipients_sender_id_fkey" FOREIGN KEY ("sender_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pending_recipients" ADD CONSTRAINT "pending_recipients_recipient_id_fkey" FOREIGN KEY ("recipient_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notification_grants" ADD CONSTRAINT "notification_grants_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
