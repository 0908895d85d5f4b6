"""The only module that imports boto3 and botocore: a client for the station's bucket.

`station publish` (web/publish.py) works through the client made here and
catches the errors named here, so swapping the S3 library is a change to
this module alone. Import it where a bucket is used, not at the top of a
module: boto3 takes a while to load, and most commands never need it.
"""

from __future__ import annotations

from typing import Any

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

from station.config import S3_CONNECT_TIMEOUT_S, S3_PART_MB, S3_PARTS_AT_ONCE, S3_READ_TIMEOUT_S, PublishSettings

__all__ = [
    "BotoCoreError",
    "ClientError",
    "NoCredentialsError",
    "ProfileNotFound",
    "S3UploadFailedError",
    "client",
    "transfer",
]


def client(settings: PublishSettings) -> Any:  # boto3's clients are made at run time and have no static type
    session = boto3.Session(profile_name=settings.profile, region_name=settings.region)
    # Checksums only where S3 requires them: the newer streaming checksum trailers are not understood
    # by every S3-compatible server, and the ETag comparison covers integrity for us.
    return session.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        config=BotoConfig(
            retries={"max_attempts": settings.attempts, "mode": "standard"},
            connect_timeout=S3_CONNECT_TIMEOUT_S,
            read_timeout=S3_READ_TIMEOUT_S,
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def transfer(settings: PublishSettings) -> TransferConfig:
    """How a file goes up: in one request below `multipart_mb`, above it in parts, a few at once."""
    return TransferConfig(
        multipart_threshold=settings.multipart_mb << 20,
        multipart_chunksize=S3_PART_MB << 20,
        max_concurrency=S3_PARTS_AT_ONCE,
    )
