// Builds tar archives in memory with libarchive's writer, for the image tests.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <stdexcept>
#include <string>

#include "base/fs.h"

namespace corral::image::testing {

enum class Compression { none, gzip, zstd };

class TarBuilder {
  public:
    explicit TarBuilder(Compression compression = Compression::none)
        : writer_(archive_write_new()) {
        archive_write_set_format_pax_restricted(writer_);
        if (compression == Compression::gzip)
            archive_write_add_filter_gzip(writer_);
        else if (compression == Compression::zstd)
            archive_write_add_filter_zstd(writer_);
        archive_write_set_bytes_in_last_block(writer_, 1);
        if (archive_write_open(writer_, this, nullptr, &TarBuilder::write_callback, nullptr) !=
            ARCHIVE_OK)
            throw std::runtime_error(archive_error_string(writer_));
    }
    ~TarBuilder() {
        if (writer_)
            archive_write_free(writer_);
    }
    TarBuilder(const TarBuilder&) = delete;
    TarBuilder& operator=(const TarBuilder&) = delete;

    TarBuilder& file(const std::string& path, const std::string& content, mode_t mode = 0644,
                     int uid = 0, int gid = 0, time_t mtime = 1700000000) {
        archive_entry* entry = make(path, AE_IFREG, mode, uid, gid, mtime);
        archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
        write(entry, content);
        return *this;
    }
    TarBuilder& dir(const std::string& path, mode_t mode = 0755, time_t mtime = 1700000000) {
        write(make(path, AE_IFDIR, mode, 0, 0, mtime), {});
        return *this;
    }
    TarBuilder& symlink(const std::string& path, const std::string& target) {
        archive_entry* entry = make(path, AE_IFLNK, 0777, 0, 0, 1700000000);
        archive_entry_set_symlink(entry, target.c_str());
        write(entry, {});
        return *this;
    }
    TarBuilder& hardlink(const std::string& path, const std::string& target) {
        archive_entry* entry = make(path, AE_IFREG, 0644, 0, 0, 1700000000);
        archive_entry_set_hardlink(entry, target.c_str());
        archive_entry_set_size(entry, 0);
        write(entry, {});
        return *this;
    }
    TarBuilder& device(const std::string& path, mode_t type, int major_number, int minor_number) {
        archive_entry* entry = make(path, type, 0600, 0, 0, 1700000000);
        archive_entry_set_rdev(entry, makedev(major_number, minor_number));
        write(entry, {});
        return *this;
    }
    TarBuilder& xattr_file(const std::string& path, const std::string& content,
                           const std::string& key, const std::string& value) {
        archive_entry* entry = make(path, AE_IFREG, 0644, 0, 0, 1700000000);
        archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
        archive_entry_xattr_add_entry(entry, key.c_str(), value.data(), value.size());
        write(entry, content);
        return *this;
    }

    // Closes the archive and returns its bytes.
    std::string finish() {
        archive_write_close(writer_);
        archive_write_free(writer_);
        writer_ = nullptr;
        return std::move(output_);
    }

  private:
    static la_ssize_t write_callback(archive*, void* context, const void* data, size_t size) {
        static_cast<TarBuilder*>(context)->output_.append(static_cast<const char*>(data), size);
        return static_cast<la_ssize_t>(size);
    }
    archive_entry* make(const std::string& path, mode_t type, mode_t mode, int uid, int gid,
                        time_t mtime) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, path.c_str());
        archive_entry_set_filetype(entry, type);
        archive_entry_set_perm(entry, mode);
        archive_entry_set_uid(entry, uid);
        archive_entry_set_gid(entry, gid);
        archive_entry_set_mtime(entry, mtime, 0);
        return entry;
    }
    void write(archive_entry* entry, const std::string& content) {
        if (archive_write_header(writer_, entry) != ARCHIVE_OK)
            throw std::runtime_error(archive_error_string(writer_));
        if (!content.empty())
            archive_write_data(writer_, content.data(), content.size());
        archive_entry_free(entry);
    }

    archive* writer_;
    std::string output_;
};

// Writes `bytes` to a new file in `dir` and opens it for reading.
inline int open_bytes(const std::string& dir, const std::string& name, const std::string& bytes) {
    std::string path = fs::join(dir, name);
    if (!fs::write_file_atomic(path, bytes))
        throw std::runtime_error("write " + path);
    return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

}  // namespace corral::image::testing
