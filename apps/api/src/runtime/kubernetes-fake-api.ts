import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseYaml } from "yaml";
import {
  discovery,
  matchesSelector,
  mergeApplied,
  parsePath,
  resources,
  sendJson,
  sendStatus,
  type TObject,
  type TResource,
  type TTarget,
} from "./kubernetes-fake-paths";
import { createFakeServiceProxy } from "./kubernetes-fake-proxy";

// A stand-in Kubernetes API server for the kubernetes driver's tests, written from the API conventions.
// DOES: discovery (GET /api/v1, /apis/{group}/{version}); server-side apply (PATCH, content type
// application/apply-patch+yaml, body parsed as YAML, fieldManager required, `force` honoured against a
// field owner set by the test); get; list with equality label selectors and a list resourceVersion;
// watch streams (newline-delimited JSON events; from a resourceVersion it replays later events, without
// one it sends ADDED for what exists; a version older than `compact()` gets an ERROR event with a 410
// Status, as the real server does); delete of one object and deletecollection by labelSelector; pod logs
// (text/plain, tailLines); the service proxy (kubernetes-fake-proxy.ts); injected failures (any status,
// for the next N matching requests); dropping every open watch; an apply carrying metadata.resourceVersion is refused with 409 when it is not the
// stored one (SSA's optimistic lock); a RayService apply is merged into the stored object (maps merged,
// lists and scalars replaced), as SSA keeps the fields of other managers (the one kind whose objects
// KubeServe edits but does not own). It records every request.
// DOES NOT: merge applies of other kinds (an apply replaces the stored object), track managedFields per field,
// default or validate objects against schemas, run controllers (tests write status, Pods and Events
// with `put`), check authentication or RBAC (403 only when told), garbage-collect dependents, or
// support set-based selectors, field selectors, pagination or bookmarks.

export type TRecordedRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  authorization: string | undefined;
  body: string;
};

type TFailure = {
  method?: string;
  pathIncludes?: string;
  isWatch?: boolean;
  code: number;
  reason: string;
  message: string;
  times: number;
};

type TWatcher = { res: ServerResponse; target: TTarget; selector: string | null };

type THistoryEntry = { rv: number; type: string; object: TObject; key: string };

export type TFakeKubeApi = Awaited<ReturnType<typeof startFakeKubeApi>>;

export async function startFakeKubeApi() {
  const requests: TRecordedRequest[] = [];
  const objects = new Map<string, TObject>();
  const history: THistoryEntry[] = [];
  const watchers = new Set<TWatcher>();
  const failures: TFailure[] = [];
  const owners = new Map<string, string>();
  const podLogs = new Map<string, string>();
  let revision = 100;
  let compactedBefore = 0;

  const keyOf = (r: TResource, namespace: string | undefined, name: string) =>
    `${r.groupVersion}|${r.plural}|${namespace ?? ""}|${name}`;
  const inCollection = (key: string, target: TTarget) => {
    const [gv, plural, ns] = key.split("|");
    const sameNs =
      !target.resource.isNamespaced || target.namespace === undefined || ns === target.namespace;
    return gv === target.resource.groupVersion && plural === target.resource.plural && sameNs;
  };

  function record(type: "ADDED" | "MODIFIED" | "DELETED", key: string, object: TObject) {
    history.push({ rv: Number(object.metadata.resourceVersion), type, object, key });
    for (const watcher of watchers) {
      if (
        inCollection(key, watcher.target) &&
        matchesSelector(object.metadata.labels, watcher.selector)
      ) {
        watcher.res.write(`${JSON.stringify({ type, object })}\n`);
      }
    }
  }

  /** Stores an object as the cluster's controllers would (status, Pods, Events) and notifies watches. */
  function put(input: TObject): TObject {
    const resource = resources.find(
      (r) => r.kind === input.kind && r.groupVersion === input.apiVersion,
    );
    if (!resource) throw new Error(`fake API server has no ${input.apiVersion} ${input.kind}`);
    const key = keyOf(resource, input.metadata.namespace, input.metadata.name);
    const previous = objects.get(key);
    const isSpecChanged = JSON.stringify(previous?.spec) !== JSON.stringify(input.spec);
    const object: TObject = structuredClone({
      ...input,
      metadata: {
        ...input.metadata,
        uid: previous?.metadata.uid ?? input.metadata.uid ?? randomUUID(),
        resourceVersion: String(++revision),
        generation: (previous?.metadata.generation ?? 0) + (isSpecChanged || !previous ? 1 : 0),
      },
    });
    objects.set(key, object);
    record(previous ? "MODIFIED" : "ADDED", key, object);
    return object;
  }

  function remove(key: string) {
    const object = objects.get(key);
    if (!object) return undefined;
    objects.delete(key);
    record("DELETED", key, {
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(++revision) },
    });
    return object;
  }

  function takeFailure(req: IncomingMessage, path: string, isWatch: boolean) {
    const index = failures.findIndex(
      (f) =>
        (!f.method || f.method === req.method) &&
        (!f.pathIncludes || path.includes(f.pathIncludes)) &&
        (f.isWatch === undefined || f.isWatch === isWatch),
    );
    const failure = failures[index];
    if (!failure) return undefined;
    failure.times -= 1;
    if (failure.times <= 0) failures.splice(index, 1);
    return failure;
  }

  function startWatch(
    req: IncomingMessage,
    res: ServerResponse,
    target: TTarget,
    query: URLSearchParams,
  ) {
    const selector = query.get("labelSelector");
    const from = query.get("resourceVersion");
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    const send = (type: string, object: unknown) =>
      res.write(`${JSON.stringify({ type, object })}\n`);
    if (from && from !== "0" && Number(from) < compactedBefore) {
      send("ERROR", {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `too old resource version: ${from} (${compactedBefore})`,
        reason: "Expired",
        code: 410,
      });
      res.end();
      return;
    }
    if (from && from !== "0") {
      for (const entry of history) {
        if (
          entry.rv > Number(from) &&
          inCollection(entry.key, target) &&
          matchesSelector(entry.object.metadata.labels, selector)
        )
          send(entry.type, entry.object);
      }
    } else {
      for (const [key, object] of objects)
        if (inCollection(key, target) && matchesSelector(object.metadata.labels, selector))
          send("ADDED", object);
    }
    const watcher: TWatcher = { res, target, selector };
    watchers.add(watcher);
    res.on("close", () => watchers.delete(watcher));
  }

  function apply(
    res: ServerResponse,
    req: IncomingMessage,
    target: TTarget,
    query: URLSearchParams,
    body: string,
  ) {
    if (req.headers["content-type"] !== "application/apply-patch+yaml")
      return sendStatus(
        res,
        415,
        "UnsupportedMediaType",
        `the fake accepts only apply patches, got ${req.headers["content-type"]}`,
      );
    const manager = query.get("fieldManager");
    if (!manager)
      return sendStatus(res, 400, "BadRequest", "PATCH apply requests require fieldManager");
    const object = parseYaml(body) as TObject;
    if (object.metadata.name !== target.name)
      return sendStatus(
        res,
        400,
        "BadRequest",
        "the name of the object does not match the name on the URL",
      );
    const key = keyOf(target.resource, target.namespace, target.name ?? "");
    const owner = owners.get(key);
    if (owner && owner !== manager && query.get("force") !== "true") {
      return sendStatus(
        res,
        409,
        "Conflict",
        `Apply failed with 1 conflict: conflict with "${owner}": .spec.replicas`,
      );
    }
    const previous = objects.get(key);
    const precondition = object.metadata.resourceVersion;
    if (precondition !== undefined && precondition !== previous?.metadata.resourceVersion) {
      return sendStatus(
        res,
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${target.resource.plural} "${target.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    if (query.get("force") === "true") owners.delete(key);
    if (previous && target.resource.kind === "RayService") {
      return sendJson(res, put(mergeApplied(previous, object)));
    }
    // Keep what controllers wrote (status) across applies, as the real server does for other managers' fields.
    const stored = put({ ...object, ...(previous?.status ? { status: previous.status } : {}) });
    sendJson(res, stored);
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const url = new URL(req.url ?? "/", "http://fake");
    const query = url.searchParams;
    const isWatch = query.get("watch") === "true";
    requests.push({
      method: req.method ?? "",
      path: url.pathname,
      query,
      contentType: req.headers["content-type"],
      authorization: req.headers.authorization,
      body,
    });
    const failure = takeFailure(req, url.pathname, isWatch);
    if (failure) return sendStatus(res, failure.code, failure.reason, failure.message);
    if (req.method === "GET" && discovery(url.pathname, res)) return;
    if (proxy.matches(url.pathname)) return proxy.forward(req, res, body, url.search);
    const target = parsePath(url.pathname);
    if (!target)
      return sendStatus(
        res,
        404,
        "NotFound",
        `the server could not find the requested resource (${url.pathname})`,
      );
    const { resource, namespace, name } = target;
    if (req.method === "GET" && isWatch && !name) return startWatch(req, res, target, query);
    if (req.method === "GET" && name && target.sub === "log") {
      const text = podLogs.get(`${namespace}/${name}`);
      if (text === undefined) return sendStatus(res, 404, "NotFound", `pods "${name}" not found`);
      const tail = Number(query.get("tailLines") ?? "0");
      const lines = text.split("\n").filter(Boolean);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${(tail > 0 ? lines.slice(-tail) : lines).join("\n")}\n`);
      return;
    }
    if (req.method === "GET" && name) {
      const object = objects.get(keyOf(resource, namespace, name));
      return object
        ? sendJson(res, object)
        : sendStatus(res, 404, "NotFound", `${resource.plural} "${name}" not found`);
    }
    if (req.method === "GET") {
      const items = [...objects].filter(
        ([key, o]) =>
          inCollection(key, target) &&
          matchesSelector(o.metadata.labels, query.get("labelSelector")),
      );
      return sendJson(res, {
        kind: `${resource.kind}List`,
        apiVersion: resource.groupVersion,
        metadata: { resourceVersion: String(revision) },
        items: items.map(([, o]) => o),
      });
    }
    if (req.method === "PATCH" && name) return apply(res, req, target, query, body);
    if (req.method === "DELETE" && name) {
      const removed = remove(keyOf(resource, namespace, name));
      return removed
        ? sendJson(res, { kind: "Status", apiVersion: "v1", status: "Success" })
        : sendStatus(res, 404, "NotFound", `${resource.plural} "${name}" not found`);
    }
    if (req.method === "DELETE") {
      const removed = [...objects]
        .filter(
          ([key, o]) =>
            inCollection(key, target) &&
            matchesSelector(o.metadata.labels, query.get("labelSelector")),
        )
        .map(([key]) => remove(key));
      return sendJson(res, {
        kind: `${resource.kind}List`,
        apiVersion: resource.groupVersion,
        metadata: {},
        items: removed,
      });
    }
    sendStatus(res, 405, "MethodNotAllowed", `${req.method} is not supported here`);
  }

  const proxy = createFakeServiceProxy({
    getService: (namespace, name) => objects.get(`v1|services|${namespace}|${name}`),
    sendStatus,
  });

  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    put,
    get: (apiVersion: string, kind: string, namespace: string | undefined, name: string) => {
      const resource = resources.find((r) => r.kind === kind && r.groupVersion === apiVersion);
      return resource ? objects.get(keyOf(resource, namespace, name)) : undefined;
    },
    all: () => [...objects.values()],
    /** The next `times` requests matching get this Status instead of an answer. */
    failNext(failure: Omit<TFailure, "times"> & { times?: number }) {
      failures.push({ times: 1, ...failure });
    },
    /** Another field manager (e.g. `kubectl-edit`) owns fields of this object: applies without force conflict. */
    setOwner(apiVersion: string, kind: string, namespace: string, name: string, manager: string) {
      const resource = resources.find((r) => r.kind === kind && r.groupVersion === apiVersion);
      if (resource) owners.set(keyOf(resource, namespace, name), manager);
    },
    /** What the Service's endpoints are (an origin), for requests through its service proxy. */
    setServiceBackend: proxy.setBackend,
    setPodLog(namespace: string, name: string, text: string) {
      podLogs.set(`${namespace}/${name}`, text);
    },
    /** Every resourceVersion up to now becomes too old to watch from (the next such watch gets 410). */
    compact() {
      compactedBefore = revision + 1;
    },
    /** Ends every open watch stream, as a restarted API server or a cut connection would. */
    dropWatches() {
      for (const watcher of watchers) watcher.res.destroy();
      watchers.clear();
    },
    openWatches: () => watchers.size,
    get revision() {
      return revision;
    },
    close: async () => {
      for (const watcher of watchers) watcher.res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
