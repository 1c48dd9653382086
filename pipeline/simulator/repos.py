"""Dataset repositories on the simulated Hub: the endpoints huggingface_hub uses to publish one.

`create_repo`, `create_commit` (preupload, then a commit of base64 "regular" files),
`create_tag`, `list_repo_refs`, `list_repo_files` (the tree API), `repo_info` and
`hf_hub_download` (HEAD and GET of `/datasets/<repo>/resolve/<revision>/<path>`) work against it
with the real client over real HTTP. Every commit keeps a full copy of the tree, so a tag or a
commit id resolves to the files as they were.

What is not simulated: LFS and Xet uploads (preupload answers "regular" for every file, which
the client then sends inside the commit), pull requests, branches other than `main`, and
private or gated repositories. Writes need an `Authorization` header, as on the Hub.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from posixpath import normpath
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

MAIN = "main"
_REPO = r"(?P<repo>[^/]+/[^/]+)"
_ROUTES = [
    ("POST", re.compile(r"^/api/repos/create$"), "create"),
    ("POST", re.compile(r"^/api/validate-yaml$"), "validate_yaml"),
    ("GET", re.compile(rf"^/api/datasets/{_REPO}(?:/revision/(?P<rev>[^/]+))?$"), "info"),
    ("POST", re.compile(rf"^/api/datasets/{_REPO}/preupload/(?P<rev>[^/]+)$"), "preupload"),
    ("POST", re.compile(rf"^/api/datasets/{_REPO}/commit/(?P<rev>[^/]+)$"), "commit"),
    ("POST", re.compile(rf"^/api/datasets/{_REPO}/tag/(?P<rev>[^/]+)$"), "tag"),
    ("GET", re.compile(rf"^/api/datasets/{_REPO}/refs$"), "refs"),
    ("GET", re.compile(rf"^/api/datasets/{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?$"), "tree"),
    ("GET", re.compile(rf"^/datasets/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$"), "resolve"),
    ("HEAD", re.compile(rf"^/datasets/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$"), "resolve"),
]


def git_blob_oid(content: bytes) -> str:
    """The id git gives a file's content: what the Hub reports as a regular file's `oid`."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass(frozen=True)
class Commit:
    oid: str
    parent: str | None
    message: str
    files: dict[str, bytes]


@dataclass
class Repo:
    repo_id: str
    commits: list[Commit] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    def resolve(self, revision: str) -> Commit | None:
        if revision == MAIN:
            return self.head
        oid = self.tags.get(revision, revision)
        return next((c for c in self.commits if c.oid == oid), None)


class _Error(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class DatasetRepos:
    """The dataset repositories one simulated Hub holds, shared by its request threads."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self._lock = threading.Lock()

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> bool:
        """Answer the request if it is a repository request; False when it is not one."""
        split = urlsplit(handler.path)
        for route_method, pattern, name in _ROUTES:
            match = pattern.match(split.path)
            if match and route_method == method:
                args = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                try:
                    signed = "authorization" in (k.lower() for k in handler.headers)
                    if method == "POST" and not signed:
                        raise _Error(401, "Invalid credentials in Authorization header")
                    with self._lock:
                        getattr(self, f"_{name}")(handler, parse_qs(split.query), **args)
                except _Error as error:
                    headers = {"X-Error-Code": error.code} if error.code else {}
                    _reply(handler, error.status, {"error": str(error)}, headers)
                return True
        return False

    # --- endpoints ----------------------------------------------------------------------

    def _repo(self, repo: str) -> Repo:
        if repo not in self.repos:
            raise _Error(404, f"Repository {repo} not found", "RepoNotFound")
        return self.repos[repo]

    def _commit_of(self, repo: Repo, rev: str) -> Commit:
        commit = repo.resolve(rev)
        if commit is None:
            raise _Error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return commit

    def _create(self, handler, query) -> None:
        body = _json_body(handler)
        if body.get("type") != "dataset":
            raise _Error(400, "the simulated Hub holds dataset repositories only")
        repo_id = f"{body.get('organization')}/{body.get('name')}"
        url = f"{_base(handler)}/datasets/{repo_id}"
        if repo_id in self.repos:
            _reply(handler, 409, {"error": "You already created this dataset repo", "url": url})
            return
        first = Commit(hashlib.sha1(repo_id.encode()).hexdigest(), None, "initial commit", {})
        self.repos[repo_id] = Repo(repo_id, [first])
        _reply(handler, 200, {"url": url, "name": repo_id})

    def _validate_yaml(self, handler, query) -> None:
        """The card's front matter must be a YAML mapping (the Hub checks much more)."""
        content = _json_body(handler).get("content", "")
        errors = []
        if content.startswith("---"):
            front = content.split("\n---", 1)[0].removeprefix("---")
            try:
                if not isinstance(yaml.safe_load(front), dict):
                    errors.append({"message": "the front matter is not a mapping"})
            except yaml.YAMLError as error:
                errors.append({"message": f"the front matter is not YAML: {error}"})
        _reply(handler, 400 if errors else 200, {"errors": errors, "warnings": []})

    def _info(self, handler, query, repo: str, rev: str = MAIN) -> None:
        commit = self._commit_of(self._repo(repo), rev)
        siblings = [{"rfilename": path} for path in sorted(commit.files)]
        _reply(
            handler,
            200,
            {"id": repo, "sha": commit.oid, "private": False, "siblings": siblings, "tags": []},
        )

    def _preupload(self, handler, query, repo: str, rev: str) -> None:
        head = self._commit_of(self._repo(repo), rev)
        files = [
            {
                "path": f["path"],
                "uploadMode": "regular",
                "shouldIgnore": False,
                "oid": git_blob_oid(head.files[f["path"]]) if f["path"] in head.files else None,
            }
            for f in _json_body(handler).get("files", [])
        ]
        _reply(handler, 200, {"files": files})

    def _commit(self, handler, query, repo: str, rev: str) -> None:
        target = self._repo(repo)
        if rev != MAIN:
            raise _Error(400, "the simulated Hub commits to main only")
        lines = [json.loads(line) for line in _body(handler).splitlines() if line.strip()]
        files = dict(target.head.files)
        header = {}
        for line in lines:
            key, value = line.get("key"), line.get("value", {})
            if key == "header":
                header = value
            elif key == "file":
                if value.get("encoding") != "base64":
                    raise _Error(400, "file content must be base64")
                files[_safe_path(value["path"])] = base64.b64decode(value["content"])
            elif key == "deletedFile":
                files.pop(_safe_path(value["path"]), None)
            elif key == "deletedFolder":
                prefix = _safe_path(value["path"]).rstrip("/") + "/"
                files = {p: c for p, c in files.items() if not p.startswith(prefix)}
            else:
                raise _Error(400, f"the simulated Hub does not take {key!r} operations")
        parent = header.get("parentCommit")
        if parent and parent != target.head.oid:
            raise _Error(412, "A commit has happened since the parent commit")
        message = header.get("summary", "")
        digest = hashlib.sha1(target.head.oid.encode() + message.encode())
        for path in sorted(files):
            digest.update(f"{path} {git_blob_oid(files[path])}\n".encode())
        commit = Commit(digest.hexdigest(), target.head.oid, message, files)
        target.commits.append(commit)
        url = f"{_base(handler)}/datasets/{repo}/commit/{commit.oid}"
        _reply(handler, 200, {"commitUrl": url, "commitOid": commit.oid, "success": True})

    def _tag(self, handler, query, repo: str, rev: str) -> None:
        target = self._repo(repo)
        commit = self._commit_of(target, rev)
        tag = _json_body(handler).get("tag", "")
        if tag in target.tags:
            raise _Error(409, f"Tag {tag} already exists")
        target.tags[tag] = commit.oid
        _reply(handler, 200, {})

    def _refs(self, handler, query, repo: str) -> None:
        target = self._repo(repo)
        tags = [
            {"name": name, "ref": f"refs/tags/{name}", "targetCommit": oid}
            for name, oid in sorted(target.tags.items())
        ]
        branch = {"name": MAIN, "ref": f"refs/heads/{MAIN}", "targetCommit": target.head.oid}
        _reply(handler, 200, {"branches": [branch], "tags": tags, "converts": []})

    def _tree(self, handler, query, repo: str, rev: str, path: str = "") -> None:
        commit = self._commit_of(self._repo(repo), rev)
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        recursive = query.get("recursive", ["false"])[0].lower() == "true"
        entries: dict[str, dict] = {}
        for name, content in sorted(commit.files.items()):
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :].split("/")
            for depth in range(1, len(rest)):
                folder = prefix + "/".join(rest[:depth])
                entries.setdefault(folder, {"type": "directory", "oid": "0" * 40, "path": folder})
                if not recursive:
                    break
            if recursive or len(rest) == 1:
                entries[name] = {
                    "type": "file",
                    "oid": git_blob_oid(content),
                    "size": len(content),
                    "path": name,
                }
        if prefix and not entries:
            raise _Error(404, f"{path} does not exist on {rev}", "EntryNotFound")
        _reply(handler, 200, list(entries.values()))

    def _resolve(self, handler, query, repo: str, rev: str, path: str) -> None:
        commit = self._commit_of(self._repo(repo), rev)
        if path not in commit.files:
            raise _Error(404, f"Entry {path} not found", "EntryNotFound")
        content = commit.files[path]
        headers = {
            "Content-Type": "application/octet-stream",
            "X-Repo-Commit": commit.oid,
            "ETag": f'"{git_blob_oid(content)}"',
        }
        _reply(handler, 200, content, headers)


def _base(handler: BaseHTTPRequestHandler) -> str:
    return f"http://{handler.headers.get('Host', '127.0.0.1')}"


def _body(handler: BaseHTTPRequestHandler) -> bytes:
    length = handler.headers.get("Content-Length")
    if length is None:
        raise _Error(411, "a body needs a Content-Length")
    return handler.rfile.read(int(length))


def _json_body(handler: BaseHTTPRequestHandler) -> dict:
    try:
        body = json.loads(_body(handler) or b"{}")
    except ValueError as error:
        raise _Error(400, f"the body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise _Error(400, "the body must be a JSON object")
    return body


def _safe_path(path: str) -> str:
    clean = normpath(path)
    if path.startswith("/") or clean.startswith("..") or clean in ("", "."):
        raise _Error(400, f"invalid path in repository: {path!r}")
    return clean


def _reply(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: object,
    headers: dict[str, str] | None = None,
) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    handler.send_response(status)
    if not isinstance(body, bytes):
        handler.send_header("Content-Type", "application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    if handler.command != "HEAD":  # a HEAD answer has the headers of a GET and no body
        handler.wfile.write(data)
