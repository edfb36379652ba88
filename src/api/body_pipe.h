// Feeding a streamed request body to code that reads a file descriptor (the image store's
// load and import): a thread copies the body into a pipe while the handler's thread consumes
// the other end and writes the response. Nothing is buffered beyond the pipe.
#pragma once

#include <functional>

#include "api/http.h"
#include "base/error.h"

namespace corral::api {

// Runs `consume(read_fd)` while the request body flows into read_fd. A body error (too large,
// malformed chunking, client gone) wins over the consumer's result, which then only saw a
// truncated stream.
ErrorOr<void> consume_body_through_pipe(Exchange& exchange,
                                        const std::function<ErrorOr<void>(int read_fd)>& consume);

}  // namespace corral::api
