-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "openid" TEXT NOT NULL,
    "name" TEXT,
    "phone_hash" BYTEA,
    "phone_masked" TEXT,
    "current_key_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_keys" (
    "key_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "public_key" BYTEA NOT NULL,
    "backup" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retired_at" TIMESTAMPTZ(3),

    CONSTRAINT "user_keys_pkey" PRIMARY KEY ("key_id")
);

-- CreateTable
CREATE TABLE "envelopes" (
    "id" TEXT NOT NULL,
    "sender_id" TEXT NOT NULL,
    "sender_key_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "purged_at" TIMESTAMPTZ(3),
    "body" TEXT,
    "size" INTEGER NOT NULL,

    CONSTRAINT "envelopes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "envelope_recipients" (
    "envelope_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "opened_at" TIMESTAMPTZ(3),

    CONSTRAINT "envelope_recipients_pkey" PRIMARY KEY ("envelope_id","user_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_openid_key" ON "users"("openid");

-- CreateIndex
CREATE UNIQUE INDEX "users_phone_hash_key" ON "users"("phone_hash");

-- CreateIndex
CREATE UNIQUE INDEX "users_current_key_id_key" ON "users"("current_key_id");

-- CreateIndex
CREATE INDEX "user_keys_user_id_idx" ON "user_keys"("user_id");

-- CreateIndex
CREATE INDEX "envelopes_sender_id_created_at_idx" ON "envelopes"("sender_id", "created_at");

-- CreateIndex
CREATE INDEX "envelopes_expires_at_idx" ON "envelopes"("expires_at");

-- CreateIndex
CREATE INDEX "envelopes_revoked_at_idx" ON "envelopes"("revoked_at");

-- CreateIndex
CREATE INDEX "envelope_recipients_user_id_envelope_id_idx" ON "envelope_recipients"("user_id", "envelope_id");

-- AddForeignKey
ALTER TABLE "user_keys" ADD CONSTRAINT "user_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "envelopes" ADD CONSTRAINT "envelopes_sender_id_fkey" FOREIGN KEY ("sender_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "envelope_recipients" ADD CONSTRAINT "envelope_recipients_envelope_id_fkey" FOREIGN KEY ("envelope_id") REFERENCES "envelopes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "envelope_recipients" ADD CONSTRAINT "envelope_recipients_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
