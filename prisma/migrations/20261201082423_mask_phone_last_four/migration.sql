-- Masked phone numbers keep only their last four digits (server/phone.ts maskPhone). Masks written
-- before kept the first three as well (138****5678, +447*****0123). Every mask has the length of
-- its number, so the new form follows from the old one. Mainland masks have no '+'.
UPDATE "users"
SET "phone_masked" = CASE
    WHEN "phone_masked" LIKE '+%' THEN '+' || repeat('*', length("phone_masked") - 5) || right("phone_masked", 4)
    ELSE repeat('*', length("phone_masked") - 4) || right("phone_masked", 4)
  END
WHERE "phone_masked" IS NOT NULL AND length("phone_masked") > 4;
