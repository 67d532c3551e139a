import logging
import os

import pytest
from hypothesis import settings

# a plugin package that tests/test_plugins.py installs, not test modules
collect_ignore = ["plugin_pkg"]

# Tests that take 1.5 s or more on a loaded 2-core machine (pytest --durations, load 11-17:
# about 0.4 s and more on a quiet one), kept out of the fast tier (pytest -m "not slow", under
# 60 s) like the ones decorated @pytest.mark.slow.  A node id, or its start: "file::test"
# marks every parameter of a test.  CI runs them all.
SLOW_TESTS = (
    "tests/test_estimator.py::test_sklearn_common_checks[HardThresholdClassifier(hidden=(4,),max_states=20,multiclass='shared',random_state=0,strategy='beam',time_limit=None)-check_classifiers_train",
    "tests/test_fuzz_findings.py::test_a_silent_server_is_given_up_within_the_budget",
    "tests/test_objectives.py::test_exact_strategies_return_the_best_fit_and_it_reverifies[sat-margin]",
    "tests/test_search.py::test_contract_budgets_end_the_run_with_the_best_so_far[sat]",
    "tests/test_sat.py::test_time_limit_returns_time_limit",
    "tests/test_bad_inputs.py::test_fuzz_network_load",
    "tests/test_certificates.py::test_search_returns_the_same_result_with_and_without_the_store",
    "tests/test_certificates.py::test_store_verdicts_along_a_flip_walk_agree_with_scipy_linprog",
    "tests/test_cli.py::test_bench_logs_one_line_per_run_and_q_silences",
    "tests/test_cli.py::test_console_script_runs",
    "tests/test_dichotomies.py::test_cover_count_for_points_in_general_position[25-4-2]",
    "tests/test_dichotomies.py::test_every_labeling_matches_a_brute_force_lp",
    "tests/test_dichotomies.py::test_exhaustive_can_stop_once_zero_errors_is_ruled_out",
    "tests/test_dichotomies.py::test_exhaustive_minimum_matches_brute_force",
    "tests/test_dichotomies.py::test_exhaustive_minimum_on_parity_3_width_2_matches_brute_force",
    "tests/test_dichotomies.py::test_exhaustive_proves_the_minimal_width_of_parity_4",
    "tests/test_dichotomies.py::test_min_width_keeps_its_proofs_when_a_larger_width_is_refused",
    "tests/test_dichotomies.py::test_min_width_of_parity_4_by_exhaustive_search",
    "tests/test_dichotomies.py::test_property_every_labeling_matches_a_brute_force_lp",
    "tests/test_docs.py::test_readme_export_section_runs",
    "tests/test_estimator.py::test_a_fitted_estimator_exports_with_its_labels",
    "tests/test_estimator.py::test_a_search_without_any_network_is_an_error_not_a_crash",
    "tests/test_estimator.py::test_sklearn_common_checks[HardThresholdClassifier(max_states=20,"
    "random_state=0,time_limit=None)-check_classifiers_train",
    "tests/test_estimator.py::test_sklearn_common_checks[HardThresholdClassifier(max_states=20,"
    "random_state=0,time_limit=None)-check_estimators_dtypes]",
    "tests/test_estimator.py::test_sklearn_common_checks[HardThresholdClassifier(max_states=20,"
    "random_state=0,time_limit=None)-check_fit_check_is_fitted]",
    "tests/test_estimator.py::test_sklearn_common_checks[HardThresholdClassifier(max_states=20,"
    "random_state=0,time_limit=None)-check_fit_idempotent]",
    "tests/test_estimator.py::test_sklearn_common_checks[HardThresholdClassifier(max_states=20,"
    "random_state=0,time_limit=None)-check_fit_score_takes_y]",
    "tests/test_estimator.py::test_sklearn_common_checks[HardThresholdClassifier(max_states=20,"
    "random_state=0,time_limit=None)-check_positive_only_tag_during_fit]",
    "tests/test_estimator.py::test_sklearn_common_checks[HardThresholdClassifier(max_states=20,"
    "random_state=0,time_limit=None)-check_readonly_memmap_input]",
    "tests/test_estimator.py::test_sklearn_common_checks[HardThresholdClassifier(max_states=20,"
    "random_state=0,time_limit=None)-check_supervised_y_2d]",
    "tests/test_exact.py::test_certificate_paths_for_degenerate_supports",
    "tests/test_export.py::test_every_export_is_bit_exact[float32-onnx-real]",
    "tests/test_export.py::test_every_export_is_bit_exact[float32-onnx-sign]",
    "tests/test_export.py::test_random_networks_export_exactly",
    "tests/test_export_c_compilers.py::test_random_tie_networks_are_exact_at_O2_march_native",
    "tests/test_export_onnx_float.py::test_random_float_networks_with_cancellation_are_exact",
    "tests/test_export_pipeline.py::test_a_binarizer_last_lets_the_network_run_on_bits",
    "tests/test_export_pipeline.py::test_a_pipeline_exports_and_predicts_what_it_predicts",
    "tests/test_export_pipeline.py::test_unsupported_steps_and_json_are_refused_with_the_fix",
    "tests/test_finding.py::test_a_fit_from_the_local_pass_gets_integer_weights_and_is_reproduc"
    "ible",
    "tests/test_finding.py::test_every_stage_and_unit_order_agree_with_exhaustive[2]",
    "tests/test_finding.py::test_first_pass_on_and_off_agree_with_the_unbroken_enumeration",
    "tests/test_finding.py::test_min_width_still_proves_the_smaller_widths",
    "tests/test_imports.py::test_highspy_and_ortools_in_one_process",
    "tests/test_imports.py::test_import_hardtarget_is_lazy_and_names_resolve",
    "tests/test_sat.py::test_large_cpsat_models_skip_symmetry_detection",
    "tests/test_sat.py::test_parity4_binary_weights_with_pysat",
    "tests/test_sat.py::test_sat_sat_lp_and_exhaustive_agree",
    "tests/test_search.py::test_contract_result_fields_and_reproducibility[ftprop]",
    "tests/test_search.py::test_exhaustive_loss_is_a_lower_bound",
    "tests/test_search.py::test_issue_beam_case_saved_targets_verify",
    "tests/test_units.py::test_cover_function_counting_theorem[12-3-464]",
    "tests/torch/test_baselines.py::test_pcf_slope_stays_positive_and_switches_to_binary",
    "tests/torch/test_baselines_cli.py::test_train_baseline_exports_a_network_that_scores_as_re"
    "ported",
    "tests/torch/test_baselines_cli_resume.py::test_resume_after_the_run_gives_the_same_network",
    "tests/torch/test_baselines_cli_resume.py::test_resume_without_a_checkpoint_is_a_clear_error",
    "tests/torch/test_baselines_options.py::test_a_fresh_run_never_resumes_an_older_runs_later_"
    "phase",
    "tests/torch/test_baselines_options.py::test_cb_resumes_bit_identically",
    "tests/torch/test_baselines_options.py::test_weight_dist_resumes_bit_identically_across_phases",
    "tests/torch/test_baselines_train.py::test_cb_trains_and_its_sign_network_converts",
    "tests/torch/test_baselines_train.py::test_readme_baselines_example_runs",
    "tests/torch/test_baselines_train.py::test_weight_dist_two_stages_end_in_an_integer_sign_ne"
    "twork",
    "tests/torch/test_convert.py::test_cli_export_network_for_the_exact_engine",
    "tests/torch/test_convert.py::test_trained_torch_model_exports_bit_exact",
    "tests/torch/test_export_conv.py::test_a_conv_net_trained_on_digits_exports_and_verifies",
    "tests/torch/test_fit.py::test_a_locked_output_directory_is_refused_naming_the_holder",
    "tests/torch/test_fit.py::test_arrays_and_dataset_give_the_same_run",
    "tests/torch/test_fit.py::test_callbacks_freeze_layers_and_stop_early",
    "tests/torch/test_fit.py::test_fit_reproduces_a_plain_pytorch_loop_bit_for_bit",
    "tests/torch/test_fit.py::test_full_disk_names_the_surviving_checkpoint",
    "tests/torch/test_functional.py::test_sste_equivalence_in_a_conv_model",
    "tests/torch/test_precision.py::test_bf16_gradients_of_a_convnet_are_close_to_float32",
    "tests/torch/test_precision.py::test_channels_last_gives_the_same_logits_and_trains",
    "tests/torch/test_precision.py::test_compiled_model_trains_like_the_eager_one",
    "tests/torch/test_guide_examples.py::test_readme_",
    "tests/torch/test_training.py::test_cli_gpu_switches_and_split_run_on_the_cpu",
    "tests/torch/test_training.py::test_cli_logs_one_line_per_epoch_unless_quiet",
    "tests/torch/test_training.py::test_deterministic_mode_is_restored_after_training",
    "tests/torch/test_training.py::test_every_model_trains_from_the_api",
    "tests/torch/test_training.py::test_every_model_trains_from_the_cli",
    "tests/torch/test_training.py::test_interrupt_and_resume_equals_uninterrupted",
    "tests/torch/test_training.py::test_log_layers_records_layer_losses_and_targets",
    "tests/torch/test_training.py::test_mlp_digits_0_vs_1_reaches_100_percent_with_sign_ftp_sh",
    "tests/torch/test_training.py::test_nan_loss_stops_and_keeps_last_good_checkpoint",
    "tests/torch/test_training.py::test_progress_bar_only_when_asked_or_on_a_terminal",
    "tests/torch/test_training.py::test_resume_accepts_aliases_of_the_same_model",
    "tests/torch/test_training.py::test_resume_refuses_checkpoint_of_another_model",
    "tests/torch/test_training.py::test_sigint_exits_130_and_names_the_kept_checkpoint",
    "tests/torch/test_training.py::test_sigkill_and_resume_equals_uninterrupted",
    "tests/torch/test_training.py::test_torchrun_two_ranks_identical_weights",
)


def pytest_collection_modifyitems(config, items):
    """Mark the tests of ``SLOW_TESTS`` slow."""
    for item in items:
        if item.nodeid.startswith(SLOW_TESTS):  # node ids are relative to the repository
            item.add_marker(pytest.mark.slow)


settings.register_profile("ci", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _logging_as_it_was():
    """The CLI's ``main`` configures logging for its process; tests that call it in-process
    must not leave that configuration to the tests after them."""
    root, ours = logging.getLogger(), logging.getLogger("hardtarget")
    saved = root.handlers[:], root.level, ours.level
    yield
    root.handlers[:], ours.level = saved[0], saved[2]
    root.setLevel(saved[1])
