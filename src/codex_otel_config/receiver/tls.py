"""Server-side TLS material for the receiver, for both protocols."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ServerTls:
    """The receiver's certificate and key; with ``client_ca_file`` it requires a client
    certificate signed by that CA (mutual TLS)."""

    cert_file: Path | str
    key_file: Path | str
    client_ca_file: Path | str | None = None

    @property
    def mutual(self) -> bool:
        return self.client_ca_file is not None

    def ssl_context(self) -> ssl.SSLContext:
        """A server ``SSLContext`` for the HTTP receiver."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        if self.client_ca_file is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(str(self.client_ca_file))
        return context

    def grpc_credentials(self) -> Any:
        """``grpc.ServerCredentials`` for the gRPC receiver (imports grpc)."""
        import grpc

        root = Path(self.client_ca_file).read_bytes() if self.client_ca_file else None
        pair = (Path(self.key_file).read_bytes(), Path(self.cert_file).read_bytes())
        return grpc.ssl_server_credentials(
            [pair], root_certificates=root, require_client_auth=self.mutual
        )
