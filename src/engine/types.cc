#include "engine/types.h"

namespace corral::engine {

const char* status_name(Status status) {
    switch (status) {
        case Status::created:
            return "created";
        case Status::running:
            return "running";
        case Status::paused:
            return "paused";
        case Status::restarting:
            return "restarting";
        case Status::removing:
            return "removing";
        case Status::exited:
            return "exited";
        case Status::dead:
            return "dead";
    }
    return "dead";
}

}  // namespace corral::engine
