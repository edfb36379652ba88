// `docker rmi` semantics: untag first, delete once nothing refers to the image, with docker's
// conflicts (running users block even a forced delete, stopped users and several
// repositories block an unforced one).
#include <set>

#include "base/fs.h"
#include "base/sys.h"
#include "image/store.h"
#include "image/store_state.h"

namespace corral::image {

namespace {

std::string short_container(const std::string& id) {
    return id.substr(0, 12);
}

Error delete_conflict(const std::string& image_id, bool hard, const std::string& reason) {
    return Error::conflict("conflict: unable to delete " + short_id(image_id) +
                           (hard ? " (cannot be forced) - " : " (must be forced) - ") + reason);
}

std::string user_reason(const ImageUser& user) {
    std::string text = user.running ? "image is being used by running container"
                                    : "image is being used by stopped container";
    if (!user.container_id.empty())
        text += " " + short_container(user.container_id);
    return text;
}

}  // namespace

ErrorOr<std::vector<RemoveRecord>> Store::remove(
    std::string_view name, bool force, const std::function<bool(const std::string&)>& in_use) {
    ImageUserLookup users;
    if (in_use)
        users = [&in_use](const std::string& id) -> std::optional<ImageUser> {
            if (in_use(id))
                return ImageUser{};
            return std::nullopt;
        };
    return remove_image(name, force, users);
}

ErrorOr<std::vector<RemoveRecord>> Store::remove_image(std::string_view name, bool force,
                                                       const ImageUserLookup& users) {
    std::unique_lock lock(state_->mutex);
    std::string id = TRY(state_->find_image_locked(name));
    std::optional<ImageUser> user = users ? users(id) : std::nullopt;
    std::vector<RemoveRecord> records;

    auto references_of = [&]() {
        std::vector<Reference> found;
        for (const auto& [text, target] : state_->references)
            if (target == id)
                if (auto reference = Reference::parse(text))
                    found.push_back(*reference);
        return found;
    };
    auto untag = [&](const Reference& reference) {
        state_->references.erase(reference.string());
        records.push_back({RemoveRecord::Kind::untagged, reference.familiar()});
    };
    // One repository: at most one tag, and every reference names the same repository.
    auto single_repository = [](const std::vector<Reference>& references) {
        if (references.empty())
            return false;
        int tags = 0;
        for (const auto& reference : references) {
            tags += reference.tag.empty() ? 0 : 1;
            if (reference.name() != references.front().name())
                return false;
        }
        return tags <= 1;
    };

    std::vector<Reference> references = references_of();
    std::string_view text = name;
    if (text.starts_with("sha256:"))
        text.remove_prefix(7);
    bool by_id = id.substr(7).starts_with(text) &&
                 text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
    // A name that is both a tag and an id prefix counts as the tag (docker does the same).
    if (by_id && !name.starts_with("sha256:")) {
        if (auto reference = Reference::parse(name);
            reference && state_->references.contains(reference->string()))
            by_id = false;
    }

    bool quiet = false;
    if (!by_id) {
        Reference reference = TRY(Reference::parse(name));
        if (!force && user && single_repository(references))
            return Error::conflict("conflict: unable to remove repository reference \"" +
                                   std::string(name) + "\" (must force) - container " +
                                   short_container(user->container_id) +
                                   " is using its referenced image " + short_id(id));
        untag(reference);
        references = references_of();
        // Removing the last tag of a repository takes that repository's digests with it.
        if (!reference.tag.empty()) {
            bool tag_left = false;
            for (const auto& other : references)
                tag_left |= !other.tag.empty() && other.name() == reference.name();
            if (!tag_left) {
                for (const auto& other : references)
                    if (other.tag.empty() && other.name() == reference.name())
                        untag(other);
                references = references_of();
            }
        }
        if (!references.empty()) {
            TRY(state_->save_references_locked());
            return records;
        }
        quiet = true;
    } else if (single_repository(references)) {
        if (user && (user->running || !force))
            return delete_conflict(id, user->running, user_reason(*user));
        for (const auto& reference : references)
            untag(reference);
        references.clear();
    }

    // Delete the image itself.
    if (user && (user->running || !force)) {
        if (quiet) {
            // An untag that leaves the image to its container: not an error.
            TRY(state_->save_references_locked());
            return records;
        }
        return delete_conflict(id, user->running, user_reason(*user));
    }
    if (!references.empty() && !force)
        return delete_conflict(id, false, "image is referenced in multiple repositories");
    for (const auto& reference : references)
        untag(reference);
    TRY(state_->save_references_locked());
    std::set<std::string> layers(state_->images.at(id).config.diff_ids.begin(),
                                 state_->images.at(id).config.diff_ids.end());
    state_->images.erase(id);
    (void)sys::unlink(state_->config_path(id));
    records.push_back({RemoveRecord::Kind::deleted, id});
    // A stopped container may still mount the layers: keep them while it exists.
    if (!user)
        state_->collect_garbage_locked(layers);
    return records;
}

}  // namespace corral::image
