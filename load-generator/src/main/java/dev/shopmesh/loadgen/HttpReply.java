package dev.shopmesh.loadgen;

/** An HTTP response: its status and its body as text. */
record HttpReply(int status, String body) {}
