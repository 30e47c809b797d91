"""utils.training.sft_trainer: TRL's SFTTrainer with the LoRA adapters kept in float32.

Found by running notebook 04 on a GPU with a T4's arithmetic (bench/gpu_notebook.py --as-t4): TRL
casts a 4-bit model's adapters to bf16, and fp16 mixed precision then fails on the first optimizer
step. The GPU failure itself cannot be reproduced on CPU; the dtypes that cause it can.
"""

from __future__ import annotations

import pytest
import torch

from utils import data, models, prompts, runtime, training


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    profile = runtime.resolve_profile("cpu")
    args = training.sft_config(profile, tmp_path_factory.mktemp("sft"), learning_rate=1e-4, max_steps=1,
                               batch_size=2, max_length=80, report_to="none")
    kwargs = dict(train_dataset=prompts.sentiment_dataset(data.load_sentiment()["train"][:2]),
                  processing_class=models.load_tokenizer(profile), peft_config=training.lora_config(4, 8, 0.0))
    return profile, args, kwargs


def trainable_dtypes(trainer):
    return {p.dtype for p in trainer.model.parameters() if p.requires_grad}


def test_trl_alone_casts_4bit_adapters_to_bf16(setup):
    # The reason for the helper. If this fails, TRL stopped doing it and the helper can go.
    from trl import SFTTrainer

    profile, args, kwargs = setup
    assert trainable_dtypes(SFTTrainer(model=models.load_model(profile), args=args, **kwargs)) == {torch.bfloat16}


def test_sft_trainer_keeps_adapters_float32_and_base_4bit(setup):
    profile, args, kwargs = setup
    trainer = training.sft_trainer(models.load_model(profile), args, **kwargs)
    assert trainable_dtypes(trainer) == {torch.float32}
    assert any(p.dtype == torch.uint8 for p in trainer.model.parameters()), "the base must stay 4-bit"
    trainer.train()  # one step: the optimizer accepts them
    assert trainable_dtypes(trainer) == {torch.float32}
