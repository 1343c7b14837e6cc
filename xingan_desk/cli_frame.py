"""argparse in Chinese: the frame around the command line's own texts.

argparse writes its frame ("usage:", "options:", "show this help message and exit", the
subcommand list) and its error messages in English through gettext, which has no Chinese
catalogue on a clerk's PC. `ChineseParser` (with `ChineseFormatter`) gives the same parser in
Chinese: titles, the -h help, placeholders (目录, 密码 … instead of DATA_DIR, PASSWORD), the
usage prefix and the errors. Help texts wrap by display width (a Chinese character is two
columns) and never inside an ASCII word such as `mediation`.

Subcommands added anywhere (cli.py, sync/cli.py, other packages' `_add_…_parser` functions)
get the frame through `parser_class`; no other module needs to know about it.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from typing import Any, NoReturn

__all__ = ["USAGE_PREFIX", "ChineseFormatter", "ChineseParser", "display_width",
           "translate_error", "wrap_display"]

USAGE_PREFIX = "用法："
HELP_HELP = "显示本帮助并退出"

# Placeholders shown for an option's value (argparse's default is the upper-case dest).
METAVARS = {
    "data_dir": "目录", "user": "账号", "password": "密码", "admin_password": "密码",
    "new_password": "密码", "admin_name": "姓名", "county": "旗县市代码", "window": "窗口号",
    "records": "条数", "seed": "整数", "kind": "类型", "out": "文件", "document": "文书",
    "period": "统计期", "url": "地址", "ca_file": "文件", "interval": "秒数", "file": "备份文件",
    "receipt_no": "登记编号", "username": "账号", "display_name": "姓名",
}

_TYPE_NAMES = {"int": "整数", "float": "数字"}


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# an unbreakable run: ASCII letters, digits and the punctuation that sits inside options and
# numbers (--data-dir, 2026-01-01..2026-03-15, a|b); every other character stands alone
_TOKEN = re.compile(r"[A-Za-z0-9_.\-|/:+=<>\[\]{}()'\"%@#*,;!?~`^&\\$]+|\s+|.")
_NO_LINE_START = frozenset("，。、；：？！）》」』】”’,.;:)")


def wrap_display(text: str, width: int) -> list[str]:
    """Greedy wrap by display width; lines break at spaces or between Chinese characters,
    never inside an ASCII word, and never put closing punctuation at the start of a line."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line, used = "", 0
        for tok in _TOKEN.findall(" ".join(paragraph.split())):
            w = display_width(tok)
            if tok.isspace():
                if line:
                    line, used = line + " ", used + 1
                continue
            if line and used + w > width and tok[0] not in _NO_LINE_START:
                lines.append(line.rstrip())
                line, used = "", 0
            line, used = line + tok, used + w
        lines.append(line.rstrip())
    return lines


_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.DOTALL), r) for p, r in (
        (r"the following arguments are required: (.*)", r"缺少必需的参数：\1"),
        (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
        (r"one of the arguments (.*) is required", r"参数 \1 必须给出一个"),
        (r"ambiguous option: (\S+) could match (.*)", r"选项 \1 有歧义，可能是 \2"),
        (r"invalid choice: (.*?) \(choose from (.*)\)", r"无效的选择 \1（可选：\2）"),
        (r"invalid (\w+) value: (.*)", r"无效的\1值 \2"),
        (r"expected one argument", "需要一个值"),
        (r"expected at most one argument", "最多只能有一个值"),
        (r"expected at least one argument", "至少需要一个值"),
        (r"expected (\d+) arguments?", r"需要 \1 个值"),
        (r"not allowed with argument (.*)", r"不能与参数 \1 同时使用"),
        (r"ignored explicit argument (.*)", r"不接受值 \1"),
        (r"argument (.*?): (.*)", r"参数 \1：\2"),
    )
)


def translate_error(message: str) -> str:
    """argparse's English error message in Chinese (ours, already Chinese, pass through)."""
    prefix = ""
    m = re.fullmatch(r"argument (.*?): (.*)", message, re.DOTALL)
    if m:
        prefix, message = f"参数 {m[1]}：", m[2]
    for pattern, replacement in _ERRORS:
        hit = pattern.fullmatch(message)
        if hit:
            message = hit.expand(replacement)
            break
    for english, chinese in _TYPE_NAMES.items():
        message = message.replace(f"无效的{english}值", f"无效的{chinese}值")
    return prefix + message


class ChineseFormatter(argparse.HelpFormatter):
    """Usage prefix 用法：, Chinese placeholders, wrapping by display width."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 30,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width)

    def add_usage(self, usage: str | None, actions: Any, groups: Any,
                  prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, USAGE_PREFIX if prefix is None else prefix)

    def _get_default_metavar_for_optional(self, action: argparse.Action) -> str:
        return METAVARS.get(action.dest, action.dest.upper())

    def _get_default_metavar_for_positional(self, action: argparse.Action) -> str:
        return METAVARS.get(action.dest, action.dest)

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:  # the help column by display width
            rows = [action, *self._iter_indented_subactions(action)]
            widest = max(display_width(self._format_action_invocation(a)) for a in rows)
            self._action_max_length = max(self._action_max_length, widest + self._current_indent)

    def _format_action(self, action: argparse.Action) -> str:
        """One option's rows: the invocation, then its help in the help column (aligned by
        display width, so 目录 counts as four columns)."""
        help_position = min(self._action_max_length + 2, self._max_help_position)
        help_width = max(self._width - help_position, 11)
        room = help_position - self._current_indent - 2
        header = " " * self._current_indent + self._format_action_invocation(action)
        rows: list[str] = []
        lines = self._split_lines(self._expand_help(action), help_width) if action.help else []
        if lines and display_width(header) - self._current_indent <= room:
            pad = " " * (help_position - display_width(header))
            rows.append(header + pad + lines.pop(0))
        else:
            rows.append(header)
        rows.extend(" " * help_position + line for line in lines)
        text = "".join(row.rstrip() + "\n" for row in rows)
        return text + "".join(self._format_action(sub)
                              for sub in self._iter_indented_subactions(action))

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_display(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap_display(text, width - len(indent)))

    def format_help(self) -> str:
        # section headings (选项, 位置参数, a group's Chinese title) end with a Chinese colon
        return _HEADING.sub(r"\1：", super().format_help())


_HEADING = re.compile(r"^([^\s\x00-\x7f][^\n]*):$", re.MULTILINE)


class _SubParsers(argparse._SubParsersAction):  # type: ignore[type-arg]
    """A subcommand's own --help starts with the help line its parent lists."""

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if kwargs.get("help") and "description" not in kwargs:
            kwargs["description"] = kwargs["help"]
        return super().add_parser(name, **kwargs)


class ChineseParser(argparse.ArgumentParser):
    """An ArgumentParser whose frame and errors are Chinese; usage errors exit 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        add_help = kwargs.pop("add_help", True)
        parents: list[argparse.ArgumentParser] = kwargs.pop("parents", [])
        kwargs.setdefault("formatter_class", ChineseFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help=HELP_HELP)
        for parent in parents:  # after the titles, so the parents' options join 选项
            self._add_container_actions(parent)
            self._defaults.update(parent._defaults)

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("title", "子命令")
        kwargs.setdefault("metavar", "子命令")
        kwargs.setdefault("help", "在子命令后加 --help 查看它的说明")
        kwargs.setdefault("parser_class", type(self))
        kwargs.setdefault("action", _SubParsers)
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"用法错误：{translate_error(message)}", file=sys.stderr)
        raise SystemExit(2)
