/*  port_holder.h - what listens on a TCP port of this host, for the line a process logs when it
    cannot bind: "crier-resolver (pid 4242)" tells an operator at once that another stack runs. */
#ifndef CRIER_PORT_HOLDER_H_INCLUDED
#define CRIER_PORT_HOLDER_H_INCLUDED

#include <stddef.h>

//  Describes, into buffer, the process listening on the TCP port of endpoint ("tcp://*:7410"):
//  its name and pid, or that the listener belongs to a process this one cannot see (another
//  user's, another container's), or that nothing listens (buffer ""). Returns buffer.
const char *crier_port_holder (const char *endpoint, char *buffer, size_t size);

#endif
