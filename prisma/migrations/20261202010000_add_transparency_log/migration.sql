-- CreateTable
CREATE TABLE "log_leaves" (
    "index" INTEGER NOT NULL,
    "user_id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "body" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_leaves_pkey" PRIMARY KEY ("index")
);

-- CreateTable
CREATE TABLE "log_nodes" (
    "level" INTEGER NOT NULL,
    "index" INTEGER NOT NULL,
    "hash" BYTEA NOT NULL,

    CONSTRAINT "log_nodes_pkey" PRIMARY KEY ("level","index")
);

-- CreateTable
CREATE TABLE "log_heads" (
    "size" INTEGER NOT NULL,
    "root" BYTEA NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "key" TEXT NOT NULL,
    "sig" BYTEA NOT NULL,

    CONSTRAINT "log_heads_pkey" PRIMARY KEY ("size")
);

-- CreateIndex
CREATE INDEX "log_leaves_user_id_index_idx" ON "log_leaves"("user_id", "index");

-- CreateIndex
CREATE INDEX "log_leaves_key_id_index_idx" ON "log_leaves"("key_id", "index");
