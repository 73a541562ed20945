"""scripts/int8-study measures what it says: its folded core is the fast network, its PyTorch int8 stays close
to it, and its CPUID shim makes a process see an AVX2 CPU."""
import os
import shutil
import subprocess
import sys

import pytest
import torch
from conftest import ROOT, load_script

from vidstyle.api import Stylizer


def study():
    return load_script("int8-study")


@pytest.fixture(scope="module")
def fast():
    st = Stylizer(model="fast", device="cpu", precision="fp32", disk_cache=False)
    return st.network_for().net.float().eval(), st.style_code


def test_folded_core_is_the_network_and_int8_stays_near_it(fast):
    s, (net, code) = study(), fast
    x = torch.rand(1, 3, 96, 160, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = net(x, *code)
        folded = s.CoreFrame(net, s.Core(net, code).eval())(x)
        int8 = s.torch_int8(net, code, [x])(x)
    assert (folded - ref).abs().max() < 1e-4
    assert 0 < (int8 - ref).abs().mean() < 8 / 255  # quantized (not the float graph), and still the same picture


@pytest.mark.skipif(shutil.which("cc") is None or "cpuid_fault" not in open("/proc/cpuinfo").read(),
                    reason="needs a C compiler and Linux CPUID faulting")
def test_cpuid_shim_hides_avx512(tmp_path):
    lib = tmp_path / "shim.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", lib, os.path.join(ROOT, "scripts", "avx2-cpuid.c")],
                   check=True)
    code = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    env = dict(os.environ, LD_PRELOAD=str(lib), VIDSTYLE_CPUID_LOG="1")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "AVX2"
    assert "CPUID calls answered as an AVX2 CPU" in run.stderr
