// magpie::core::cpu_relax — the spin-wait hint (x86 PAUSE, Arm YIELD) for a
// loop that re-reads shared state before it sleeps. No state; any thread.

#ifndef MAGPIE_RUNTIME_CORE_CPU_RELAX_H_
#define MAGPIE_RUNTIME_CORE_CPU_RELAX_H_

namespace magpie::core {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace magpie::core

#endif  // MAGPIE_RUNTIME_CORE_CPU_RELAX_H_
