#include "base/error.h"

#include <cstring>

namespace corral {

namespace {

ErrorKind kind_of_errno(int errno_value) {
    switch (errno_value) {
        case ENOENT:
        case ESRCH:
            return ErrorKind::not_found;
        case EEXIST:
        case EBUSY:
        case ENOTEMPTY:
            return ErrorKind::conflict;
        case EINVAL:
        case ENAMETOOLONG:
        case ELOOP:
            return ErrorKind::invalid_argument;
        case EACCES:
        case EPERM:
            return ErrorKind::permission_denied;
        case E2BIG:
        case EFBIG:
        case ENOSPC:
            return ErrorKind::too_large;
        case ENOSYS:
        case EOPNOTSUPP:
            return ErrorKind::unsupported;
        default:
            return ErrorKind::internal;
    }
}

}  // namespace

Error Error::from_errno(std::string_view call, std::string_view subject, int errno_value) {
    std::string message(call);
    if (!subject.empty()) {
        message += " `";
        message += subject;
        message += "`";
    }
    message += ": ";
    message += std::strerror(errno_value);
    return {kind_of_errno(errno_value), std::move(message), errno_value};
}

Error Error::with_context(std::string_view context) && {
    std::string message(context);
    message += ": ";
    message += message_;
    message_ = std::move(message);
    return std::move(*this);
}

}  // namespace corral
