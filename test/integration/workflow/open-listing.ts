import type { Harness } from './harness.ts';

/** Every incident of a listing of `GET /v1/incidents` (`query` like `status=open`), following `nextToken`. */
async function listAll(h: Harness, query: string): Promise<{ incidentId: string; status: string }[]> {
  const out: { incidentId: string; status: string }[] = [];
  let token: string | undefined;
  do {
    const page = await h.call(
      'GET',
      `/v1/incidents?${query}${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`,
    );
    if (page.status !== 200) throw new Error(`GET /v1/incidents?${query}: ${page.status} ${page.text}`);
    out.push(...page.body.incidents);
    token = page.body.nextToken;
  } while (token);
  return out;
}

/**
 * The open-incident index against the incidents themselves: the ids `status=open` lists (read
 * from the sparse index) and the ids of every incident whose status is open (the whole listing).
 * Equal when every path that ended an incident took it out of the index; `ended`: the statuses
 * of the others.
 */
export async function openListing(
  h: Harness,
): Promise<{ listed: string[]; open: string[]; ended: string[] }> {
  const all = await listAll(h, 'limit=100');
  const listed = await listAll(h, 'status=open&limit=100');
  return {
    listed: listed.map((i) => i.incidentId),
    open: all.filter((i) => i.status === 'open').map((i) => i.incidentId),
    ended: all.filter((i) => i.status !== 'open').map((i) => i.status),
  };
}
