/** The authenticated partner of a request (set by the x-api-key hook, auth.ts). */
export interface PartnerAuth {
  id: string;
  name: string;
  clockOffsetMs: bigint;
}
