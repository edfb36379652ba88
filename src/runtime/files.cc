#include "runtime/files.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/sys.h"

namespace corral::runtime {

ErrorOr<void> write_file_replace(const std::string& path, std::string_view content, mode_t mode) {
    std::string temp = path + ".tmp-" + std::to_string(::getpid());
    {
        UniqueFd fd = TRY(sys::open(temp, O_WRONLY | O_CREAT | O_TRUNC, mode));
        if (::fchmod(fd.get(), mode) < 0) {
            int saved = errno;
            ::unlink(temp.c_str());
            return Error::from_errno("chmod", temp, saved);
        }
        auto written = sys::write_all(fd.get(), content);
        if (!written) {
            ::unlink(temp.c_str());
            return std::move(written).error().with_context(temp);
        }
    }
    auto renamed = sys::rename(temp, path);
    if (!renamed)
        ::unlink(temp.c_str());
    return renamed;
}

}  // namespace corral::runtime
