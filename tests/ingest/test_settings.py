from ingest.settings import IngestSettings


def test_sources_are_comma_separated(monkeypatch):
    monkeypatch.setenv("EXECBOT_SOURCES", "data/sample, https://rsshub.example/weibo/user/1749127163 ,")
    assert IngestSettings().sources == ["data/sample", "https://rsshub.example/weibo/user/1749127163"]


def test_default_source_is_the_sample_data(monkeypatch):
    monkeypatch.delenv("EXECBOT_SOURCES", raising=False)
    assert IngestSettings(_env_file=None).sources == ["data/sample"]
