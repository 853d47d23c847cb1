"""The quick-mode banner: shown in quick mode, silent in full mode."""

from nnworkshop.config import quick_mode_banner, show_quick_mode_banner


def test_banner_only_in_quick_mode(monkeypatch, capsys):
    monkeypatch.delenv("NNWORKSHOP_QUICK", raising=False)
    assert quick_mode_banner() == ""
    show_quick_mode_banner()
    assert capsys.readouterr().out == ""

    monkeypatch.setenv("NNWORKSHOP_QUICK", "1")
    banner = quick_mode_banner()
    assert "QUICK MODE" in banner and "NOT meaningful" in banner and "NNWORKSHOP_QUICK" in banner
    show_quick_mode_banner()
    assert capsys.readouterr().out.strip() == banner
