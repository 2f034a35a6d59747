"""Build the Chinese spaCy pipeline from ``lexicon.yml`` and save it to disk.

    python -m fenqi.nlp.pipeline build/spacy-zh

Rasa's ``SpacyNLP`` loads the saved directory by path (no pretrained zh model exists here).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import spacy
import yaml
from spacy.language import Language

from fenqi.nlp import tokenizer as _tokenizer  # noqa: F401 - registers fenqi.zh_jieba.v1
from fenqi.nlp.segmenter import LEXICON


def load_lexicon(path: Path = LEXICON) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def ruler_patterns(lexicon: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Entity-ruler patterns: phrase strings and token-pattern lists per label."""
    patterns = []
    for label, spec in lexicon.get("entities", {}).items():
        patterns += [{"label": label, "pattern": p} for p in spec.get("phrases", [])]
        patterns += [{"label": label, "pattern": p} for p in spec.get("regex", [])]
    return patterns


def build_pipeline(lexicon: Optional[Dict[str, Any]] = None) -> Language:
    """A blank zh pipeline with the domain tokenizer and an entity ruler."""
    lexicon = lexicon or load_lexicon()
    config = {"nlp": {"tokenizer": {"@tokenizers": "fenqi.zh_jieba.v1",
                                    "user_words": list(lexicon.get("user_words", []))}}}
    nlp = spacy.blank("zh", config=config)
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(ruler_patterns(lexicon))  # type: ignore[attr-defined]  # an EntityRuler
    return nlp


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory to write the pipeline to")
    args = parser.parse_args(argv)
    nlp = build_pipeline()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(args.out)
    print(f"saved zh pipeline ({', '.join(nlp.pipe_names)}) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
