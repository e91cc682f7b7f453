"""dialogs.bidi: Latin runs in right-to-left texts are isolated, nothing else changes."""

from __future__ import annotations

from dialogs.bidi import FSI, PDI, isolate_latin

ABOUT_AR = (
    "هذا مكتب مكافحة التمييز في منطقة هانوفر (Antidiskriminierungsstelle der Region Hannover)."
)


def test_a_german_name_in_arabic_keeps_its_brackets_around_it() -> None:
    done = isolate_latin(ABOUT_AR, "ar")
    assert f"({FSI}Antidiskriminierungsstelle der Region Hannover{PDI})." in done
    assert done.replace(FSI, "").replace(PDI, "") == ABOUT_AR


def test_placeholders_are_isolated_whole_and_numbers_are_left_alone() -> None:
    done = isolate_latin("رمز حالتك: {case_code}. الشرطة: 110", "fa")
    assert done == f"رمز حالتك: {FSI}{{case_code}}{PDI}. الشرطة: 110"


def test_left_to_right_languages_and_a_second_pass_change_nothing() -> None:
    assert isolate_latin("Antidiskriminierungsstelle (Hannover)", "de").count(FSI) == 0
    once = isolate_latin(ABOUT_AR, "ar")
    assert isolate_latin(once, "ar") == once
