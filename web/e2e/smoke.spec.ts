import { expect, test } from "@playwright/test";
import { column, createProject, createWorkspace, newPerson, quickAdd, signUp } from "./helpers";

test("sign up, create a workspace and a project, and the board shows", async ({ browser }) => {
  const ada = await newPerson(browser, "Ada Lovelace");
  await signUp(ada);
  await createWorkspace(ada, "Analytical Engines");
  await createProject(ada, "Difference Engine", "DE");
  for (const name of ["To do", "In progress", "Done"]) await expect(column(ada.page, name)).toBeVisible();
  await quickAdd(ada.page, "To do", "Punch the first card");
  // Reload: the task is really stored.
  await ada.page.reload();
  await expect(column(ada.page, "To do").getByTestId("card").filter({ hasText: "Punch the first card" })).toBeVisible();
  await expect(ada.page.getByTestId("xp-bar")).toBeVisible();
  await ada.context.close();
});
