"""The difflab kernel against Jupyter's own conformance suite (jupyter_kernel_test)
and the behaviours a notebook user relies on: interrupts keep state, long runs of
cells, stop_on_error, several clients on one kernel.

Run with the kernelspec installed and visible on JUPYTER_PATH:
    python -m unittest discover -s tests/jupyter -v
"""

import time
import unittest
from queue import Empty

import jupyter_client
import jupyter_kernel_test as jkt

KERNEL = "difflab"


class DifflabKernelTests(jkt.KernelTests):
    kernel_name = KERNEL
    language_name = "rhai"
    file_extension = ".rhai"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'eprint("something went sideways")'
    completion_samples = [
        {"text": "rand", "matches": {"rand", "rand_like", "randint", "randn", "randn_like", "randperm"}},
        {"text": "let weights = ones([3]); weig", "matches": {"weights"}},
        {"text": "ones([3]).resh", "matches": {"reshape"}},
        {"text": "let opt = adamw(net, #{ lr: 1e-3, weight", "matches": {"weight_decay"}},
    ]
    complete_code_samples = ["let x = 1;", "fn f(a) { a * 2 }", "print(1)"]
    incomplete_code_samples = ["fn f(a) {", "let xs = [1, 2,", "let s = `unfinished"]
    invalid_code_samples = ["let = 3;", "1 +* 2; 3"]
    code_page_something = 'help("randn")'
    code_generate_error = 'throw "boom"'
    code_execute_result = [
        {"code": "40 + 2", "result": "42"},
        {"code": "tensor([1, 2, 3]).sum().item()", "result": "6"},
        {"code": '"difflab"', "result": '"difflab"'},
        {"code": "line([1, 3, 2])", "mime": "image/png"},
    ]
    code_display_data = [
        {"code": "show(scatter(randn([50, 2])))", "mime": "image/png"},
        {"code": "show(hist(randn([100])))", "mime": "image/svg+xml"},
        {"code": "show(animate([randn([20, 2]), randn([20, 2])]))", "mime": "image/gif"},
    ]
    code_history_pattern = "40*"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "randn"
    code_clear_output = "clear_output()"


def run(kc, code, timeout=30, **kwargs):
    """Executes `code`; returns the reply content and the output messages."""
    msg_id = kc.execute(code, **kwargs)
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return reply["content"], outputs
        if msg["msg_type"] not in ("status", "execute_input"):
            outputs.append(msg)


class NotebookBehaviour(unittest.TestCase):
    def setUp(self):
        self.km, self.kc = jupyter_client.manager.start_new_kernel(kernel_name=KERNEL)

    def tearDown(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def test_interrupting_an_endless_loop_keeps_earlier_state(self):
        reply, _ = run(self.kc, "let kept = 41;")
        self.assertEqual(reply["status"], "ok")
        msg_id = self.kc.execute("let i = 0; loop { i += 1; }")
        time.sleep(1.0)
        started = time.time()
        self.km.interrupt_kernel()
        reply = self.kc.get_shell_msg(timeout=10)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=10)
        self.assertLess(time.time() - started, 1.5)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        reply, outputs = run(self.kc, "kept + 1")
        self.assertEqual(reply["status"], "ok")
        self.assertEqual(outputs[-1]["content"]["data"]["text/plain"], "42")

    def test_two_hundred_quick_cells(self):
        first, _ = run(self.kc, "0")
        start = first["execution_count"]
        for k in range(1, 201):
            reply, _ = run(self.kc, f"{k} * 2")
            self.assertEqual(reply["status"], "ok")
            self.assertEqual(reply["execution_count"], start + k)

    def test_silent_cells_do_not_count_or_print(self):
        before, _ = run(self.kc, "1")
        reply, outputs = run(self.kc, 'print("quiet"); 5', silent=True)
        self.assertEqual(reply["status"], "ok")
        self.assertEqual(outputs, [])
        after, _ = run(self.kc, "2")
        self.assertEqual(after["execution_count"], before["execution_count"] + 1)

    def test_user_expressions(self):
        reply, _ = run(self.kc, "let a = 20;", user_expressions={"double": "a * 2", "bad": "a.frobnicate()"})
        exprs = reply["user_expressions"]
        self.assertEqual(exprs["double"]["status"], "ok")
        self.assertEqual(exprs["double"]["data"]["text/plain"], "40")
        self.assertEqual(exprs["bad"]["status"], "error")

    def test_stop_on_error_aborts_queued_cells(self):
        failing = self.kc.execute("sleep(0.3); throw \"first\"", stop_on_error=True)
        queued = self.kc.execute("print(\"should not run\")")
        replies = {}
        while len(replies) < 2:
            msg = self.kc.get_shell_msg(timeout=10)
            replies[msg["parent_header"]["msg_id"]] = msg["content"]
        self.assertEqual(replies[failing]["status"], "error")
        self.assertEqual(replies[queued]["status"], "aborted")

    def test_a_second_client_gets_its_own_replies(self):
        # a second front end with its own session, as a console attached beside a notebook
        other = self.km.client(session=jupyter_client.session.Session(key=self.km.session.key))
        other.start_channels()
        try:
            other.wait_for_ready(timeout=10)
            run(self.kc, "let common = 7;")
            reply, outputs = run(other, "common * 6")
            self.assertEqual(reply["status"], "ok")
            self.assertEqual(outputs[-1]["content"]["data"]["text/plain"], "42")
            with self.assertRaises(Empty):
                self.kc.get_shell_msg(timeout=0.5)
        finally:
            other.stop_channels()

    def test_progress_updates_one_display(self):
        reply, outputs = run(self.kc, 'let p = progress(3, #{ label: "steps" }); for i in 0..3 { sleep(0.3); p.update(i + 1, #{ loss: 0.5 }); } p.finish();')
        self.assertEqual(reply["status"], "ok")
        kinds = [m["msg_type"] for m in outputs]
        self.assertEqual(kinds.count("display_data"), 1)
        self.assertGreaterEqual(kinds.count("update_display_data"), 1)
        display_id = outputs[0]["content"]["transient"]["display_id"]
        self.assertTrue(all(m["content"]["transient"]["display_id"] == display_id for m in outputs))
        self.assertNotIn("stream", kinds)


if __name__ == "__main__":
    unittest.main()
