// Fuzzes layer unpacking: arbitrary bytes are unpacked into a fresh temp dir inside a
// sandbox dir; nothing may appear in the sandbox outside that dir.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "base/fs.h"
#include "image/layer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace corral;
    auto sandbox = fs::TempDir::create("/tmp", "fuzz-layer");
    if (!sandbox)
        std::abort();
    std::string target = sandbox->path() + "/target";
    if (!fs::mkdir_p(target))
        std::abort();
    int fd = ::memfd_create("layer", MFD_CLOEXEC);
    if (fd < 0 || ::write(fd, data, size) != static_cast<ssize_t>(size))
        std::abort();
    ::lseek(fd, 0, SEEK_SET);
    image::UnpackOptions options;
    options.max_entries = 10000;
    (void)image::unpack_layer(fd, target, options);
    ::close(fd);
    auto names = fs::list_dir(sandbox->path());
    if (!names || names->size() != 1)
        std::abort();  // something was written beside the target
    return 0;
}
