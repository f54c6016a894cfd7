#include "elf_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "files/fd_io.hpp"

// The linker defines __ehdr_start at this executable's own ELF header: the
// class, byte order and machine a library must have for this process to load it.
extern "C" const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));

namespace berth::host {
namespace {

// Tables berthd reads whole (section names, dynamic symbols and their
// names): far larger than any real plugin's, small enough to read at start.
constexpr uint64_t kMaxTableBytes = 64u << 20;

std::string printable_prefix(const char* data, std::size_t n) {
  std::string out = "\"";
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out + "\"";
}

std::string machine_name(unsigned machine) {
  switch (machine) {
    case EM_386:
      return "i386";
    case EM_X86_64:
      return "x86-64";
    case EM_ARM:
      return "ARM";
    case EM_AARCH64:
      return "AArch64";
    case EM_RISCV:
      return "RISC-V";
    case EM_PPC:
      return "PowerPC";
    case EM_PPC64:
      return "PowerPC64";
    case EM_S390:
      return "S/390";
    case EM_MIPS:
      return "MIPS";
    default:
      return "unknown";
  }
}

std::string type_name(unsigned type) {
  switch (type) {
    case ET_REL:
      return "a relocatable object (.o)";
    case ET_EXEC:
      return "an executable";
    case ET_CORE:
      return "a core dump";
    default:
      return "of ELF type " + std::to_string(type);
  }
}

// end = offset + count * size, or nullopt on overflow.
std::optional<uint64_t> table_end(uint64_t offset, uint64_t count, uint64_t size) {
  uint64_t bytes = 0, end = 0;
  if (__builtin_mul_overflow(count, size, &bytes) || __builtin_add_overflow(offset, bytes, &end))
    return std::nullopt;
  return end;
}

}  // namespace

Status ElfFile::read_at(uint64_t offset, void* out, uint64_t length, std::string_view what) const {
  auto n = files::pread_full(fd_.get(), static_cast<char*>(out), length, static_cast<int64_t>(offset), path_);
  if (!n.ok()) return n.status().with_context("read " + std::string(what));
  if (*n < length) {
    // The file shrank since it was checked: someone is writing it now.
    return invalid_argument(path_.string() + " is truncated: " + std::string(what) + " ends at " +
                            std::to_string(offset + length) + " but the file ends at " +
                            std::to_string(offset + *n));
  }
  return {};
}

Result<ElfFile> ElfFile::open(const std::filesystem::path& path) {
  // O_NONBLOCK: opening a FIFO named like a plugin must not block berthd.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) {
    if (errno == ENOENT) return not_found(path.string() + " does not exist");
    return errno_status("open " + path.string(), errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_status("stat " + path.string(), errno);
  if (!S_ISREG(st.st_mode)) return invalid_argument(path.string() + " is not a regular file");
  if (st.st_size == 0) return invalid_argument(path.string() + " is empty");
  const auto size = static_cast<uint64_t>(st.st_size);
  ElfFile elf(path, std::move(fd), size);

  ElfW(Ehdr) ehdr{};
  const auto head = std::min<uint64_t>(size, sizeof ehdr);
  BERTH_RETURN_IF_ERROR(elf.read_at(0, &ehdr, head, "the ELF header"));
  const auto* bytes = reinterpret_cast<const char*>(&ehdr);
  if (head < SELFMAG || std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG) != 0) {
    return invalid_argument(path.string() + " is not an ELF file (starts with " +
                            printable_prefix(bytes, std::min<uint64_t>(head, 16)) + ")");
  }
  if (head < EI_NIDENT) {
    return invalid_argument(path.string() + " is truncated: the ELF identification ends at " +
                            std::to_string(EI_NIDENT) + " but the file has " + std::to_string(size) +
                            " bytes");
  }
  const auto& host = __ehdr_start;
  const unsigned cls = ehdr.e_ident[EI_CLASS];
  if (cls != host.e_ident[EI_CLASS]) {
    const std::string host_bits = host.e_ident[EI_CLASS] == ELFCLASS64 ? "64" : "32";
    if (cls == ELFCLASS32 || cls == ELFCLASS64) {
      return invalid_argument(path.string() + " is a " + (cls == ELFCLASS32 ? "32" : "64") +
                              "-bit ELF file; this berthd is " + host_bits + "-bit");
    }
    return invalid_argument(path.string() + " is not a valid ELF file (class byte " + std::to_string(cls) +
                            ")");
  }
  const unsigned data = ehdr.e_ident[EI_DATA];
  if (data != host.e_ident[EI_DATA]) {
    if (data == ELFDATA2LSB || data == ELFDATA2MSB) {
      return invalid_argument(path.string() + " is a " + (data == ELFDATA2MSB ? "big" : "little") +
                              "-endian ELF file; this host is " + (data == ELFDATA2MSB ? "little" : "big") +
                              "-endian");
    }
    return invalid_argument(path.string() + " is not a valid ELF file (data encoding byte " +
                            std::to_string(data) + ")");
  }
  if (ehdr.e_ident[EI_VERSION] != EV_CURRENT) {
    return invalid_argument(path.string() + " has ELF version " + std::to_string(ehdr.e_ident[EI_VERSION]) +
                            ", not " + std::to_string(EV_CURRENT));
  }
  if (head < sizeof ehdr) {
    return invalid_argument(path.string() + " is truncated: the ELF header ends at " +
                            std::to_string(sizeof ehdr) + " but the file has " + std::to_string(size) +
                            " bytes");
  }
  if (ehdr.e_type != ET_DYN) {
    return invalid_argument(path.string() + " is not a shared object: it is " + type_name(ehdr.e_type));
  }
  if (ehdr.e_machine != host.e_machine) {
    return invalid_argument(path.string() + " is built for machine " + std::to_string(ehdr.e_machine) + " (" +
                            machine_name(ehdr.e_machine) + "); this host is " +
                            std::to_string(host.e_machine) + " (" + machine_name(host.e_machine) + ")");
  }
  BERTH_RETURN_IF_ERROR(elf.load_headers(ehdr));
  return elf;
}

// Checks that every table and every byte the dynamic loader maps lies within
// the file, and reads the section headers and their names.
Status ElfFile::load_headers(const ElfW(Ehdr) & ehdr) {
  const std::string name = path_.string();
  const std::string file_has = " but the file has " + std::to_string(size_) + " bytes";
  auto truncated = [&](const std::string& what, std::optional<uint64_t> end) {
    if (!end) return invalid_argument(name + " is malformed: " + what + " lie past any possible file end");
    return invalid_argument(name + " is truncated: " + what + " end at " + std::to_string(*end) + file_has);
  };

  if (ehdr.e_phnum == 0) return invalid_argument(name + " is malformed: it has no program headers");
  if (ehdr.e_phentsize != sizeof(ElfW(Phdr))) {
    return invalid_argument(name + " is malformed: program header entries are " +
                            std::to_string(ehdr.e_phentsize) + " bytes, not " +
                            std::to_string(sizeof(ElfW(Phdr))));
  }
  auto ph_end = table_end(ehdr.e_phoff, ehdr.e_phnum, sizeof(ElfW(Phdr)));
  if (!ph_end || *ph_end > size_) return truncated("program headers", ph_end);

  if (ehdr.e_shoff == 0) {
    return invalid_argument(
        name +
        " has no section headers: berthd finds the entry point and the Berth records through "
        "them (do not strip them, e.g. with sstrip)");
  }
  if (ehdr.e_shentsize != sizeof(ElfW(Shdr))) {
    return invalid_argument(name + " is malformed: section header entries are " +
                            std::to_string(ehdr.e_shentsize) + " bytes, not " +
                            std::to_string(sizeof(ElfW(Shdr))));
  }
  // With 0xff00 sections or more, e_shnum is 0 and the count sits in the
  // first section header; so may the section-name table's index.
  uint64_t count = ehdr.e_shnum;
  uint64_t names_index = ehdr.e_shstrndx;
  if (count == 0 || names_index == SHN_XINDEX) {
    auto first_end = table_end(ehdr.e_shoff, 1, sizeof(ElfW(Shdr)));
    if (!first_end || *first_end > size_) return truncated("section headers", first_end);
    ElfW(Shdr) first{};
    BERTH_RETURN_IF_ERROR(read_at(ehdr.e_shoff, &first, sizeof first, "the first section header"));
    if (count == 0) count = first.sh_size;
    if (names_index == SHN_XINDEX) names_index = first.sh_link;
  }
  auto sh_end = table_end(ehdr.e_shoff, count, sizeof(ElfW(Shdr)));
  if (!sh_end || *sh_end > size_) return truncated("section headers", sh_end);

  std::vector<ElfW(Phdr)> segments(ehdr.e_phnum);
  BERTH_RETURN_IF_ERROR(
      read_at(ehdr.e_phoff, segments.data(), segments.size() * sizeof(ElfW(Phdr)), "the program headers"));
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& seg = segments[i];
    if (seg.p_type != PT_LOAD) continue;
    auto end = table_end(seg.p_offset, 1, seg.p_filesz);
    if (!end || *end > size_) return truncated("loadable segment " + std::to_string(i) + " would", end);
  }

  sections_.resize(count);
  BERTH_RETURN_IF_ERROR(
      read_at(ehdr.e_shoff, sections_.data(), sections_.size() * sizeof(ElfW(Shdr)), "the section headers"));
  if (names_index == SHN_UNDEF || names_index >= count) {
    return invalid_argument(name + " is malformed: the section name table's index " +
                            std::to_string(names_index) + " is not among its " + std::to_string(count) +
                            " sections");
  }
  for (std::size_t i = 0; i < sections_.size(); ++i) {
    const auto& sec = sections_[i];
    if (sec.sh_type == SHT_NOBITS || sec.sh_type == SHT_NULL) continue;
    auto end = table_end(sec.sh_offset, 1, sec.sh_size);
    if (!end || *end > size_) return truncated("section " + std::to_string(i) + "'s contents", end);
  }
  auto names = read_section(sections_[names_index], "the section name table");
  if (!names.ok()) return names.status();
  section_names_ = std::move(*names);
  return {};
}

Result<std::string> ElfFile::read_section(const ElfW(Shdr) & shdr, std::string_view what) const {
  if (shdr.sh_type == SHT_NOBITS) return std::string();
  if (shdr.sh_size > kMaxTableBytes) {
    return invalid_argument(path_.string() + " is malformed: " + std::string(what) + " is " +
                            std::to_string(shdr.sh_size) + " bytes");
  }
  std::string out(shdr.sh_size, '\0');
  BERTH_RETURN_IF_ERROR(read_at(shdr.sh_offset, out.data(), out.size(), what));
  return out;
}

Result<bool> ElfFile::defines_dynamic_symbol(std::string_view want) const {
  for (const auto& sec : sections_) {
    if (sec.sh_type != SHT_DYNSYM) continue;
    if (sec.sh_entsize != sizeof(ElfW(Sym)) || sec.sh_link >= sections_.size()) {
      return invalid_argument(path_.string() + " is malformed: its dynamic symbol table has entries of " +
                              std::to_string(sec.sh_entsize) + " bytes or names in section " +
                              std::to_string(sec.sh_link));
    }
    auto symbols = read_section(sec, "the dynamic symbol table");
    if (!symbols.ok()) return symbols.status();
    auto names = read_section(sections_[sec.sh_link], "the dynamic symbol names");
    if (!names.ok()) return names.status();
    const std::size_t count = symbols->size() / sizeof(ElfW(Sym));
    for (std::size_t i = 0; i < count; ++i) {
      ElfW(Sym) sym{};
      std::memcpy(&sym, symbols->data() + i * sizeof sym, sizeof sym);
      if (sym.st_shndx == SHN_UNDEF || sym.st_name >= names->size()) continue;
      // The ELF32_ macros are the same as these.
      const auto bind = ELF64_ST_BIND(sym.st_info);
      const auto visibility = ELF64_ST_VISIBILITY(sym.st_other);
      if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) continue;
      if (visibility != STV_DEFAULT && visibility != STV_PROTECTED) continue;
      const char* s = names->data() + sym.st_name;
      const std::size_t len = ::strnlen(s, names->size() - sym.st_name);
      if (std::string_view(s, len) == want) return true;
    }
  }
  return false;
}

Result<std::optional<std::string>> ElfFile::section(std::string_view want) const {
  for (const auto& sec : sections_) {
    if (sec.sh_name >= section_names_.size()) continue;
    const char* s = section_names_.data() + sec.sh_name;
    if (std::string_view(s, ::strnlen(s, section_names_.size() - sec.sh_name)) != want) continue;
    auto contents = read_section(sec, std::string("section ") + std::string(want));
    if (!contents.ok()) return contents.status();
    return std::optional<std::string>(std::move(*contents));
  }
  return std::optional<std::string>();
}

}  // namespace berth::host
