import numpy as np
import torch
from torch import nn

from runtime.generate import sample_text


class TinyLM(nn.Module):
    def __init__(self, vocab=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, 8)
        self.out = nn.Linear(8, vocab)

    def forward(self, x):
        return self.out(self.embed(x))


def test_sample_text_extends_the_prompt_with_vocabulary_characters():
    torch.manual_seed(0)
    itos = list("abcd ")
    text = sample_text(TinyLM(), itos, block_size=4, prompt="ab", length=30)
    assert text.startswith("ab") and len(text) == 32 and set(text) <= set(itos)
    model = TinyLM()
    with torch.no_grad():  # a model that always predicts "d" produces only "d"s
        model.out.bias.fill_(-1e4)
        model.out.bias[3] = 1e4
    assert sample_text(model, itos, 4, "a", 10) == "a" + "d" * 10


def test_reconstruction_picture_has_originals_above_reconstructions(tmp_path):
    from PIL import Image
    from torch.utils.data import TensorDataset

    from runtime.reconstructions import save_reconstructions

    data = TensorDataset(torch.rand(4, 64), torch.zeros(4))
    identity = nn.Linear(64, 64)
    with torch.no_grad():
        identity.weight.copy_(torch.eye(64))
        identity.bias.zero_()
    path = save_reconstructions(identity, data, (64,), tmp_path / "r.png", n=4, scale=1)
    image = torch.tensor(np.asarray(Image.open(path)), dtype=torch.float32).reshape(20, 40)
    assert torch.equal(image[:10], image[10:])  # a perfect autoencoder: both rows alike
