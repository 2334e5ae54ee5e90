// The client library; filled in by the client work (issue 3).
