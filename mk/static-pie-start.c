/*
 * static-pie-start.c - the start file of netcheck-static (x86_64, musl), in
 * place of musl's rcrt1.o: a static PIE relocates itself before anything
 * else runs, and this one also reads packed relative relocations (DT_RELR,
 * `ld -z pack-relative-relocs`), which musl 1.2.3's rcrt1.o does not (1.2.4
 * does). Packed, the ~14,000 relative relocations of the binary take a few
 * KiB instead of 24 bytes each (~330 KiB: bench/RESULTS.md, "Static binary
 * size").
 *
 * Only relative relocations can occur: the binary is linked -static-pie
 * with -z text (no symbol is looked up at run time, no text relocation).
 * Anything else stops the process at once.
 *
 * Compiled without the stack protector: the canary lives in thread-local
 * storage, which the C library sets up later (__libc_start_main). Before
 * the relocations are applied no pointer stored in data may be used; the
 * code below only computes addresses relative to the program counter.
 */
#include <elf.h>
#include <stddef.h>

#ifndef DT_RELR
#define DT_RELRSZ 35
#define DT_RELR 36
#endif

int main(int, char **, char **);
int __libc_start_main(int (*)(int, char **, char **), int, char **, void (*)(void),
                      void (*)(void), void (*)(void));
void _init(void);
void _fini(void);
void nc_start_c(size_t *sp, const Elf64_Dyn *dyn);

/* The kernel enters here with the stack pointer on argc; the ABI wants it
 * 16-byte aligned at the call. */
__asm__(".text\n"
        ".global _start\n"
        ".type _start,@function\n"
        "_start:\n"
        "  xor %rbp,%rbp\n"
        "  mov %rsp,%rdi\n"
        "  lea _DYNAMIC(%rip),%rsi\n"
        "  andq $-16,%rsp\n"
        "  call nc_start_c\n"
        "  hlt\n");

/* After the relocations, in a function of its own: the compiler may treat
 * the GOT as constant and load from it early, which it cannot do across a
 * call it knows nothing about. */
__attribute__((noinline, noipa, noreturn)) static void start_libc(size_t *sp) {
  int argc = (int)sp[0];
  __libc_start_main(main, argc, (char **)(sp + 1), _init, _fini, 0);
  __builtin_trap();
}

__attribute__((used, visibility("hidden"))) void nc_start_c(size_t *sp, const Elf64_Dyn *dyn) {
  size_t *p = sp + 1 + sp[0] + 1; /* past argv and its NULL: the environment */
  const Elf64_Phdr *ph = NULL;
  size_t phnum = 0, base = 0, rela = 0, relasz = 0, relr = 0, relrsz = 0;
  int have_dyn = 0;

  while (*p)
    p++;
  for (p++; *p != AT_NULL; p += 2) { /* the auxiliary vector */
    if (p[0] == AT_PHDR)
      ph = (const Elf64_Phdr *)p[1];
    else if (p[0] == AT_PHNUM)
      phnum = p[1];
  }
  /* The load address: where _DYNAMIC is minus where the file says it is. */
  for (size_t i = 0; ph && i < phnum; i++)
    if (ph[i].p_type == PT_DYNAMIC) {
      base = (size_t)dyn - ph[i].p_vaddr;
      have_dyn = 1;
    }
  if (!have_dyn)
    __builtin_trap();
  for (; dyn->d_tag != DT_NULL; dyn++) {
    switch (dyn->d_tag) {
    case DT_RELA:
      rela = dyn->d_un.d_ptr;
      break;
    case DT_RELASZ:
      relasz = dyn->d_un.d_val;
      break;
    case DT_RELR:
      relr = dyn->d_un.d_ptr;
      break;
    case DT_RELRSZ:
      relrsz = dyn->d_un.d_val;
      break;
    case DT_REL:
    case DT_JMPREL:
      __builtin_trap(); /* neither is ever emitted for x86_64 static PIE */
    default:
      break;
    }
  }
  for (const Elf64_Rela *r = (const Elf64_Rela *)(base + rela);
       relasz >= sizeof *r; r++, relasz -= sizeof *r) {
    if (ELF64_R_TYPE(r->r_info) != R_X86_64_RELATIVE)
      __builtin_trap();
    *(size_t *)(base + r->r_offset) = base + (size_t)r->r_addend;
  }
  /* DT_RELR: an even entry is the address of a word to relocate, and the
   * words after it are described by the odd entries that follow: bit k
   * (k = 1..63) of one says whether word k-1 of the next 63 is relocated.
   * The addend is the word itself. */
  size_t *where = NULL;
  for (const size_t *e = (const size_t *)(base + relr); relrsz >= sizeof *e;
       e++, relrsz -= sizeof *e) {
    if (!(*e & 1)) {
      where = (size_t *)(base + *e);
      *where++ += base;
    } else {
      if (!where)
        __builtin_trap();
      for (size_t bits = *e >> 1, *w = where; bits; bits >>= 1, w++)
        if (bits & 1)
          *w += base;
      where += 63;
    }
  }
  __asm__ volatile("" ::: "memory");
  start_libc(sp);
}
