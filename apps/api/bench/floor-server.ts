// The floor for `pnpm bench api`: the same keyset page query as model.list, straight through pg and
// node:http, with no auth, validation, tRPC or ORM. What the API costs on top of this is its overhead.
import { createServer } from "node:http";
import pg from "pg";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const port = Number(process.env.PORT);

const columns = `m.id, m.owner_id AS "ownerId", m.name, m.description, m.tags,
  (SELECT count(*)::int FROM model_versions v WHERE v.model_id = m.id) AS "versionCount",
  m.created_at AS "createdAt", m.updated_at AS "updatedAt"`;

createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (url.pathname === "/healthz") return res.end("ok");
  const limit = Number(url.searchParams.get("limit") ?? 50);
  const cursor = url.searchParams.get("cursor");
  const params: unknown[] = [limit + 1];
  let where = "";
  if (cursor) {
    const [value, id] = JSON.parse(Buffer.from(cursor, "base64url").toString()) as [string, string];
    params.push(new Date(value), id);
    where = "WHERE (m.updated_at, m.id) < ($2, $3)";
  }
  const { rows } = await pool.query(
    `SELECT ${columns} FROM models m ${where} ORDER BY m.updated_at DESC, m.id DESC LIMIT $1`,
    params,
  );
  const page = rows.slice(0, limit) as { id: string; updatedAt: Date }[];
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? Buffer.from(JSON.stringify([last.updatedAt.toISOString(), last.id])).toString("base64url")
      : null;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ result: { data: { items: page, nextCursor } } }));
}).listen(port, "127.0.0.1");
